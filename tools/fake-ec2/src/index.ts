export { DEFAULT_CATALOG, type FakeCatalog, type FakeImage, type FakeInstanceType } from './catalog';
export { type CallCounts, FakeEc2, type FakeEc2Options, type LiveInstance } from './fake-ec2';
export type { Ec2Faults } from './faults';
export { EC2_DEFAULT_RATES, type ThrottleSettings } from './throttle';

export { ARM_DEFAULT_RATES, type ArmThrottleSettings } from './arm-throttle';
export { type ArmCatalog, DEFAULT_ARM_CATALOG } from './catalog';
export { type ArmInventory, FakeArm, type FakeArmOptions } from './fake-arm';
export type { ArmFaults } from './faults';

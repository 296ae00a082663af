/** What the fake account has before anyone calls it: AMIs, instance types, a subnet, groups, key pairs. */
export interface FakeImage {
  imageId: string;
  name: string;
  architecture: string;
  rootDeviceName: string;
  /** GiB of the root snapshot. */
  rootVolumeGiB: number;
}

export interface FakeInstanceType {
  instanceType: string;
  vcpus: number;
  memoryMiB: number;
  gpus: number;
}

export interface FakeLaunchTemplate {
  name: string;
  imageId: string;
  instanceType: string;
  subnetId: string;
  securityGroupIds: string[];
}

export interface FakeCatalog {
  region: string;
  availabilityZone: string;
  images: FakeImage[];
  instanceTypes: FakeInstanceType[];
  subnets: string[];
  securityGroups: string[];
  keyPairs: string[];
  launchTemplates: FakeLaunchTemplate[];
}

export const DEFAULT_CATALOG: FakeCatalog = {
  region: 'us-east-1',
  availabilityZone: 'us-east-1a',
  images: [
    {
      imageId: 'ami-0fa4ce0b6a7e1c001',
      name: 'peerpods-podvm-fake',
      architecture: 'x86_64',
      rootDeviceName: '/dev/xvda',
      rootVolumeGiB: 8,
    },
    {
      imageId: 'ami-0fa4ce0b6a7e1c002',
      name: 'peerpods-podvm-fake-large-root',
      architecture: 'x86_64',
      rootDeviceName: '/dev/sda1',
      rootVolumeGiB: 50,
    },
  ],
  // Shapes of real types (vCPUs, MiB, GPUs), enough for the selection rules to have choices.
  instanceTypes: [
    { instanceType: 't3.small', vcpus: 2, memoryMiB: 2048, gpus: 0 },
    { instanceType: 'm6a.large', vcpus: 2, memoryMiB: 8192, gpus: 0 },
    { instanceType: 'm6a.xlarge', vcpus: 4, memoryMiB: 16384, gpus: 0 },
    { instanceType: 'm6a.2xlarge', vcpus: 8, memoryMiB: 32768, gpus: 0 },
    { instanceType: 'g5.xlarge', vcpus: 4, memoryMiB: 16384, gpus: 1 },
  ],
  subnets: ['subnet-0fa4ce0b6a7e1c0aa'],
  securityGroups: ['sg-0fa4ce0b6a7e1c0bb'],
  keyPairs: ['peerpods-fake'],
  launchTemplates: [
    {
      name: 'kata',
      imageId: 'ami-0fa4ce0b6a7e1c001',
      instanceType: 'm6a.large',
      subnetId: 'subnet-0fa4ce0b6a7e1c0aa',
      securityGroupIds: ['sg-0fa4ce0b6a7e1c0bb'],
    },
  ],
};

/** What exists in the fake account before any pod VM: the resources the provider looks up. */
export interface IbmCatalog {
  /** The API key IAM accepts, and the trusted profile a projected token may assume. */
  apiKey: string;
  trustedProfileId: string;
  accountId: string;
  region: string;
  vpcId: string;
  resourceGroupId: string;
  subnets: { id: string; zone: string; cidr: string }[];
  clusterId: string;
  /** The cluster's `kube-<clusterId>` security group, and others. */
  securityGroups: { id: string; name: string }[];
  profiles: { name: string; arch: string; vcpus: number; memoryGiB: number; gpus: number }[];
  images: { id: string; arch: string; name: string }[];
  dedicatedHosts: { id: string; zone: string }[];
  dedicatedHostGroups: { id: string; zone: string }[];
  keys: string[];
}

export const DEFAULT_IBM_CATALOG: IbmCatalog = {
  apiKey: 'fake-ibm-api-key-0123456789',
  trustedProfileId: 'Profile-5f1c2e7a-3b9d-4c61-9a0e-7d2b8f4c6a11',
  accountId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  region: 'us-south',
  vpcId: 'r006-1c9f4b2a-5e7d-4a3c-8b61-2f0e9d7c5a41',
  resourceGroupId: '6e1f0c2a9b8d4e7f8a3b5c6d7e8f9012',
  subnets: [
    { id: '0717-9a3c1e5b-7d2f-4b6a-8c0e-1f3a5b7c9d21', zone: 'us-south-1', cidr: '10.240.0.0/24' },
    { id: '0717-4b6d8f0a-2c4e-4a6b-9d1f-3b5d7f9a1c32', zone: 'us-south-1', cidr: '10.240.1.0/24' },
  ],
  clusterId: 'cq1fake0cluster0id0ibm',
  securityGroups: [
    { id: 'r006-0b2d4f6a-8c1e-4a3b-9d5f-7a9c1e3b5d71', name: 'kube-cq1fake0cluster0id0ibm' },
    { id: 'r006-5c7e9a1b-3d5f-4b7a-8c9e-1b3d5f7a9c82', name: 'extra-sg' },
  ],
  profiles: [
    { name: 'bx2-2x8', arch: 'amd64', vcpus: 2, memoryGiB: 8, gpus: 0 },
    { name: 'bx2-4x16', arch: 'amd64', vcpus: 4, memoryGiB: 16, gpus: 0 },
    { name: 'cx2-2x4', arch: 'amd64', vcpus: 2, memoryGiB: 4, gpus: 0 },
    { name: 'bz2-2x8', arch: 's390x', vcpus: 2, memoryGiB: 8, gpus: 0 },
    { name: 'gx3-16x80x1l4', arch: 'amd64', vcpus: 16, memoryGiB: 80, gpus: 1 },
  ],
  images: [
    { id: 'r006-s390x-0a1b2c3d-podvm', arch: 's390x', name: 'podvm-s390x' },
    { id: 'r006-amd64-4e5f6a7b-podvm', arch: 'amd64', name: 'podvm-amd64' },
  ],
  dedicatedHosts: [
    { id: '0717-dh-us-south-1-aaaa', zone: 'us-south-1' },
    { id: '0727-dh-us-south-2-bbbb', zone: 'us-south-2' },
  ],
  dedicatedHostGroups: [{ id: '0717-dhg-us-south-1-cccc', zone: 'us-south-1' }],
  keys: ['r006-key-1a2b3c4d'],
};

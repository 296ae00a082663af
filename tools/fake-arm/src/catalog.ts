/** What the fake subscription holds before anyone calls it. */
export interface ArmSize {
  name: string;
  numberOfCores: number;
  memoryInMB: number;
  /** Supports `securityType: ConfidentialVM` (the DCas/ECas v5 families). */
  confidential: boolean;
}

export interface ArmCatalog {
  subscriptionId: string;
  resourceGroup: string;
  region: string;
  tenantId: string;
  /** Image resource ids and community gallery image ids that exist. */
  images: string[];
  subnets: string[];
  networkSecurityGroups: string[];
  sizes: ArmSize[];
}

const subscriptionId = '00000000-0000-4000-8000-00000000fa4e';
const group = 'peerpods-fake';
const network = `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Network`;

export const DEFAULT_ARM_CATALOG: ArmCatalog = {
  subscriptionId,
  resourceGroup: group,
  region: 'eastus',
  tenantId: '00000000-0000-4000-8000-0000000fa4e7',
  images: [
    `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.Compute/images/peerpods-podvm`,
    '/CommunityGalleries/peerpods-fake-0000/Images/podvm/Versions/latest',
  ],
  subnets: [`${network}/virtualNetworks/peerpods-vnet/subnets/default`],
  networkSecurityGroups: [`${network}/networkSecurityGroups/peerpods-nsg`],
  sizes: [
    { name: 'Standard_B2s', numberOfCores: 2, memoryInMB: 4096, confidential: false },
    { name: 'Standard_DC2as_v5', numberOfCores: 2, memoryInMB: 8192, confidential: true },
    { name: 'Standard_DC4as_v5', numberOfCores: 4, memoryInMB: 16384, confidential: true },
    { name: 'Standard_DC8as_v5', numberOfCores: 8, memoryInMB: 32768, confidential: true },
    { name: 'Standard_NC4as_T4_v3', numberOfCores: 4, memoryInMB: 28672, confidential: false },
  ],
};

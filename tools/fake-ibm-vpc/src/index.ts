export { DEFAULT_IBM_CATALOG, type IbmCatalog } from './catalog';
export {
  FakeIbmVpc,
  type FakeIbmVpcOptions,
  type IbmCallCounts,
  type IbmInventory,
  ibmProviderArgs,
} from './fake-ibm-vpc';
export type { IbmFaults } from './faults';

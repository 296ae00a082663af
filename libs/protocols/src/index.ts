import type { ServiceDescriptor } from '@peerpods/ttrpc';
import { AgentServiceDefinition } from './generated/agent';
import { HealthDefinition } from './generated/health';
import { HypervisorDefinition } from './generated/hypervisor';
import { PodVMInfoDefinition } from './generated/podvminfo';

// Messages, one namespace per proto package file, so equal names in different files never clash.
export * as agent from './generated/agent';
export * as csi from './generated/csi';
export { Empty } from './generated/google/protobuf/empty';
export * as health from './generated/health';
export * as hypervisor from './generated/hypervisor';
export * as oci from './generated/oci';
export * as podvminfo from './generated/podvminfo';
export * as ttrpcEnvelope from './generated/ttrpc';
export * as types from './generated/types';

/** The services, as typed descriptors for @peerpods/ttrpc's createServiceClient/serviceMethods. */
export const AgentService = AgentServiceDefinition satisfies ServiceDescriptor;
export const HealthService = HealthDefinition satisfies ServiceDescriptor;
export const HypervisorService = HypervisorDefinition satisfies ServiceDescriptor;
export const PodVMInfoService = PodVMInfoDefinition satisfies ServiceDescriptor;

/** Method names as they appear on the wire, e.g. `CreateContainer`, in .proto order. */
export function methodNames(service: ServiceDescriptor): string[] {
  return Object.values(service.methods).map((method) => method.name);
}

import { HypervisorService, type hypervisor } from '@peerpods/protocols';
import { type MethodTable, type ServerCall, serviceMethods } from '@peerpods/ttrpc';
import type { SandboxManager } from './sandbox-manager';

/** hypervisor.Hypervisor, as the kata shim calls it (docs/compatibility.md §2.1). */
export function hypervisorMethods(sandboxes: SandboxManager): MethodTable {
  return serviceMethods(HypervisorService, {
    version: (): hypervisor.VersionResponse => ({ version: '0.0.0' }),
    createVM: async (request): Promise<hypervisor.CreateVMResponse> => ({
      agentSocketPath: await sandboxes.createVM(
        request.id,
        request.annotations,
        request.networkNamespacePath,
      ),
    }),
    startVM: async (request, call: ServerCall): Promise<hypervisor.StartVMResponse> => {
      await sandboxes.startVM(request.id, call.signal);
      return {};
    },
    stopVM: async (request): Promise<hypervisor.StopVMResponse> => {
      await sandboxes.stopVM(request.id);
      return {};
    },
  });
}

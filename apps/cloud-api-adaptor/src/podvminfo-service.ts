import { PodVMInfoService, type podvminfo } from '@peerpods/protocols';
import { Code, type MethodTable, serviceMethods, TtrpcError } from '@peerpods/ttrpc';
import type { SandboxManager } from './sandbox-manager';

/** podvminfo.PodVMInfo/GetInfo: the cloud instance id of a pod, optionally waiting for it. */
export function podVmInfoMethods(sandboxes: SandboxManager): MethodTable {
  return serviceMethods(PodVMInfoService, {
    getInfo: async (request, call): Promise<podvminfo.GetInfoResponse> => {
      const notFound = () =>
        new TtrpcError(Code.NotFound, `VM ID for ${request.PodNamespace}:${request.PodName} was not found`);
      for (;;) {
        const id = sandboxes.instanceIdFor(request.PodName, request.PodNamespace);
        if (id) return { VMID: id };
        if (!request.Wait) throw notFound();
        // Unlike upstream, the wait ends at the call's deadline even if no sandbox changes.
        try {
          await sandboxes.whenInstanceRecorded(call.signal);
        } catch {
          throw new TtrpcError(Code.DeadlineExceeded, 'context deadline exceeded');
        }
      }
    },
  });
}

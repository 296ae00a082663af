import { HypervisorService, type hypervisor } from '@peerpods/protocols';
import { type MethodTable, type ServerCall, serviceMethods } from '@peerpods/ttrpc';
import type { DaemonMetrics, HypervisorMethod } from './metrics/daemon-metrics';
import type { SandboxManager } from './sandbox-manager';

/** hypervisor.Hypervisor, as the kata shim calls it (docs/compatibility.md §2.1). */
export function hypervisorMethods(
  sandboxes: SandboxManager,
  metrics?: Pick<DaemonMetrics, 'hypervisorCall'>,
): MethodTable {
  const timed = <T>(method: HypervisorMethod, work: () => Promise<T>): Promise<T> => {
    if (!metrics) return work();
    const began = performance.now();
    const report = (outcome: 'success' | 'error') =>
      metrics.hypervisorCall(method, outcome, (performance.now() - began) / 1000);
    return work().then(
      (answer) => {
        report('success');
        return answer;
      },
      (error: unknown) => {
        report('error');
        throw error;
      },
    );
  };
  return serviceMethods(HypervisorService, {
    version: (): hypervisor.VersionResponse => ({ version: '0.0.0' }),
    createVM: (request): Promise<hypervisor.CreateVMResponse> =>
      timed('CreateVM', async () => ({
        agentSocketPath: await sandboxes.createVM(
          request.id,
          request.annotations,
          request.networkNamespacePath,
        ),
      })),
    startVM: (request, call: ServerCall): Promise<hypervisor.StartVMResponse> =>
      timed('StartVM', async () => {
        await sandboxes.startVM(request.id, call.signal);
        return {};
      }),
    stopVM: (request): Promise<hypervisor.StopVMResponse> =>
      timed('StopVM', async () => {
        await sandboxes.stopVM(request.id);
        return {};
      }),
  });
}

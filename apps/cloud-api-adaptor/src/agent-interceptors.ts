import type { Logger } from '@peerpods/log';
import { agent } from '@peerpods/protocols';
import type { ForwardInterceptor } from '@peerpods/ttrpc';

const GPU_ANNOTATION = 'io.katacontainers.config.hypervisor.default_gpus';
const CDI_ANNOTATION = 'cdi.k8s.io/peer-pods';
const CDI_ALL_GPUS = 'nvidia.com/gpu=all';

/**
 * CreateContainer gets upstream's one addition: when the container asks for GPUs, the CDI
 * annotation that makes the pod VM expose them. Requests that need no change go on as the original
 * bytes, so nothing (unknown fields included) is lost.
 */
export function createContainerInterceptor(log: Logger): ForwardInterceptor {
  return async (call, next) => {
    const request = agent.CreateContainerRequest.decode(call.payload);
    const annotations = request.OCI?.Annotations ?? {};
    log.info(
      `CreateContainer: containerID:${request.containerId} mounts:${request.OCI?.Mounts.length ?? 0} ` +
        `annotations:${Object.keys(annotations).length} storages:${request.storages.length} devices:${request.devices.length}`,
    );
    const gpus = annotations[GPU_ANNOTATION];
    if (!gpus || gpus === '0' || !request.OCI) return next(call.payload);
    request.OCI.Annotations = { ...annotations, [CDI_ANNOTATION]: CDI_ALL_GPUS };
    log.info(
      `CreateContainer: containerID:${request.containerId} requests ${gpus} GPUs: added ${CDI_ANNOTATION}=${CDI_ALL_GPUS}`,
    );
    return next(agent.CreateContainerRequest.encode(request).finish());
  };
}

/** Lifecycle calls are logged as upstream's proxy logs them; their bytes are never changed. */
function logged<T>(
  log: Logger,
  codec: { decode(bytes: Uint8Array): T },
  describe: (request: T) => string,
): ForwardInterceptor {
  return async (call, next) => {
    try {
      log.info(`${call.method}: ${describe(codec.decode(call.payload))}`);
    } catch {
      log.info(`${call.method}: (request not decodable; forwarded as is)`);
    }
    return next(call.payload);
  };
}

export function agentCallInterceptors(log: Logger): Record<string, ForwardInterceptor> {
  return {
    CreateContainer: createContainerInterceptor(log),
    StartContainer: logged(log, agent.StartContainerRequest, (r) => `containerID:${r.containerId}`),
    RemoveContainer: logged(log, agent.RemoveContainerRequest, (r) => `containerID:${r.containerId}`),
    CreateSandbox: logged(
      log,
      agent.CreateSandboxRequest,
      (r) => `hostname:${r.hostname} sandboxId:${r.sandboxId} storages:${r.storages.length}`,
    ),
    DestroySandbox: logged(log, agent.DestroySandboxRequest, () => 'destroying sandbox'),
    SetPolicy: logged(log, agent.SetPolicyRequest, (r) => `policy:${r.policy.length} bytes`),
  };
}

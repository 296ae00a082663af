import { existsSync, mkdirSync } from 'node:fs';
import type { Logger } from '@peerpods/log';
import { agent, oci } from '@peerpods/protocols';
import type { ForwardInterceptor } from '@peerpods/ttrpc';

function isBindMount(mount: oci.Mount): boolean {
  return mount.type === 'bind' || mount.options.includes('bind') || mount.options.includes('rbind');
}

/**
 * CreateContainer: the container joins the pod network namespace (where the pod's IP lives in the
 * VM), and bind-mount sources that do not exist in the VM are created, as upstream's forwarder does.
 */
export function createContainerInterceptor(podNamespace: string, log: Logger): ForwardInterceptor {
  return async (call, next) => {
    const request = agent.CreateContainerRequest.decode(call.payload);
    request.OCI ??= oci.Spec.fromPartial({});
    request.OCI.Linux ??= oci.Linux.fromPartial({});
    const namespaces = request.OCI.Linux.Namespaces;
    const network = namespaces.find((ns) => ns.Type === 'network');
    // Two network entries would be an invalid OCI spec: point an existing one at the pod netns.
    if (network) network.Path = podNamespace;
    else namespaces.push(oci.LinuxNamespace.fromPartial({ Type: 'network', Path: podNamespace }));
    for (const mount of request.OCI.Mounts) {
      if (isBindMount(mount) && mount.source.startsWith('/') && !existsSync(mount.source)) {
        try {
          mkdirSync(mount.source, { recursive: true });
        } catch (error) {
          // Upstream returns any interceptor failure as code 2 (UNKNOWN), not as the errno's status.
          throw new Error(`creating bind mount source ${mount.source}: ${(error as Error).message}`);
        }
        log.info(`created bind mount source ${mount.source} for ${mount.destination}`);
      }
    }
    log.info(`CreateContainer: containerID:${request.containerId} joins network namespace ${podNamespace}`);
    return next(agent.CreateContainerRequest.encode(request).finish());
  };
}

/** CreateSandbox: DNS is cleared so kata-agent leaves the VM's /etc/resolv.conf alone. */
export function createSandboxInterceptor(log: Logger): ForwardInterceptor {
  return async (call, next) => {
    const request = agent.CreateSandboxRequest.decode(call.payload);
    log.info(`CreateSandbox: hostname:${request.hostname} sandboxId:${request.sandboxId} (dns cleared)`);
    request.dns = [];
    return next(agent.CreateSandboxRequest.encode(request).finish());
  };
}

function loggedOnly(log: Logger, describe: (payload: Uint8Array) => string): ForwardInterceptor {
  return async (call, next) => {
    try {
      log.info(`${call.method}: ${describe(call.payload)}`);
    } catch {
      log.info(`${call.method}: (request not decodable; forwarded as is)`);
    }
    return next(call.payload);
  };
}

export function forwarderInterceptors(podNamespace: string, log: Logger): Record<string, ForwardInterceptor> {
  return {
    CreateContainer: createContainerInterceptor(podNamespace, log),
    CreateSandbox: createSandboxInterceptor(log),
    StartContainer: loggedOnly(
      log,
      (p) => `containerID:${agent.StartContainerRequest.decode(p).containerId}`,
    ),
    RemoveContainer: loggedOnly(
      log,
      (p) => `containerID:${agent.RemoveContainerRequest.decode(p).containerId}`,
    ),
  };
}

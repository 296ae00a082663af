import { randomBytes } from 'node:crypto';
import { oci } from '@peerpods/protocols';

/** containerd's default PATH for a container without one. */
export const DEFAULT_CONTAINER_ENV: readonly string[] = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
];
export const OCI_VERSION = '1.1.0';

/** 64 random hex characters: the form of kata's sandbox and container ids. */
export function randomId(): string {
  return randomBytes(32).toString('hex');
}

export interface ContainerProcess {
  args: readonly string[];
  /** Default: PATH only ({@link DEFAULT_CONTAINER_ENV}). */
  env?: readonly string[];
  /** Default `/`. */
  cwd?: string;
}

/**
 * The OCI spec of a one-off container on the pod VM's root file system: the process as uid 0 without
 * a terminal, root `/`, and its own mount/ipc/uts/pid namespaces plus a network namespace entry with an
 * empty path, which the agent-protocol-forwarder in the pod VM points at the pod netns.
 */
export function containerSpec(process: ContainerProcess): oci.Spec {
  if (process.args.length === 0) throw new TypeError('a container needs a command (args is empty)');
  return oci.Spec.fromPartial({
    Version: OCI_VERSION,
    Process: {
      Terminal: false,
      User: { UID: 0, GID: 0 },
      Args: [...process.args],
      Env: [...(process.env ?? DEFAULT_CONTAINER_ENV)],
      Cwd: process.cwd ?? '/',
    },
    Root: { Path: '/', Readonly: false },
    Linux: {
      Namespaces: [
        { Type: 'mount', Path: '' },
        { Type: 'ipc', Path: '' },
        { Type: 'uts', Path: '' },
        { Type: 'pid', Path: '' },
        { Type: 'network', Path: '' },
      ],
    },
  });
}

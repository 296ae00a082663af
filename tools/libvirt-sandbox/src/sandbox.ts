import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { removeNetns, requireRoot } from '@peerpods/test-support';

/**
 * A libvirtd of its own: it runs in a network namespace made for it (its bridges, dnsmasq and VMs,
 * and every packet they send, stay there) and a private mount namespace, where its state directories
 * are bind-mounted from a temporary directory. The host's libvirt configuration, state, logs and
 * caches are never touched.
 */
export interface LibvirtSandbox {
  /** Temporary directory holding the daemon's state, logs and the `pool` directory for volumes. */
  dir: string;
  socketPath: string;
  netns: { name: string; path: string };
  /** A URI for this daemon: `qemu+unix:///system?socket=...`, or another driver's. */
  uri(driver?: string, path?: string): string;
  /** The daemon's mount namespace (/proc/PID/ns/mnt), where its /run/libvirt is. */
  mountNamespace: string;
  /** A directory QEMU (running as libvirt-qemu) can read, for storage pools. */
  poolDir: string;
  /** libvirtd's log and each domain's QEMU log, for a failing test's message. */
  logs(): string;
  /** Kills the VMs, the daemons and the namespace's processes, and removes the directory. */
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Short prefix of the network namespace's name. */
  prefix: string;
  /** Let the daemon see /dev/kvm (default: hidden). */
  kvm?: boolean;
  /** How long the daemon may take to open its socket (the first start probes QEMU: about 4 s). */
  startTimeoutMs?: number;
  /**
   * Run in this existing network namespace (a worker node's), which the caller owns and removes;
   * default: one made for the sandbox and removed with it.
   */
  netns?: { name: string; path: string };
}

// Where libvirtd keeps state; each is bind-mounted from the sandbox's directory.
const STATE_MOUNTS: readonly [string, string][] = [
  ['run', '/run/libvirt'],
  ['lib', '/var/lib/libvirt'],
  ['log', '/var/log/libvirt'],
  ['etc-qemu', '/etc/libvirt/qemu'],
  ['etc-storage', '/etc/libvirt/storage'],
];

// QEMU's capabilities, probed at a daemon's first start (about 4 s): kept for later sandboxes, apart
// from the host's own cache, which describes a daemon that can see /dev/kvm.
const CAPABILITY_CACHE = '/var/tmp/peerpods-libvirt-cache';

const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

function connectable(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ path });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function killPidFile(path: string): void {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    if (pid > 1) process.kill(pid, 'SIGKILL');
  } catch {
    // no such file or process
  }
}

/**
 * Shell lines giving the daemon a /dev without kvm: a copy of the device nodes on a tmpfs, with the
 * host's pts, shm and mqueue mounted into it, moved over /dev (a node bound over /dev/kvm is not
 * enough: libvirt then finds its capability cache stale on every call and probes QEMU again).
 */
function hideKvm(devDir: string): string[] {
  const dev = quote(devDir);
  return [
    'if [ -e /dev/kvm ]; then',
    `  mkdir -p ${dev} && mount -t tmpfs -o mode=755 tmpfs ${dev}`,
    `  for entry in /dev/*; do case "$entry" in /dev/kvm|/dev/pts|/dev/shm|/dev/mqueue) ;; *) cp -a "$entry" ${dev}/ ;; esac; done`,
    `  for sub in pts shm mqueue; do if [ -d /dev/$sub ]; then mkdir -p ${dev}/$sub && mount --rbind /dev/$sub ${dev}/$sub; fi; done`,
    `  mount --move ${dev} /dev`,
    'fi',
  ];
}

let counter = 0;

export async function startLibvirtSandbox(options: SandboxOptions): Promise<LibvirtSandbox> {
  requireRoot();
  counter += 1;
  const dir = mkdtempSync('/tmp/peerpods-libvirt-');
  // QEMU runs as libvirt-qemu and must reach the pool below.
  chmodSync(dir, 0o755);
  for (const [name, target] of STATE_MOUNTS) {
    mkdirSync(join(dir, name), { recursive: true });
    mkdirSync(target, { recursive: true });
  }
  // virtlogd writes each domain's log and console here, and does not make the directory itself.
  mkdirSync(join(dir, 'log', 'qemu'));
  const poolDir = join(dir, 'pool');
  mkdirSync(poolDir, { mode: 0o755 });
  const ownNetns = options.netns === undefined;
  let netns = options.netns;
  if (netns === undefined) {
    const netnsName = `${options.prefix}-${process.pid}-${counter}`;
    execFileSync('ip', ['netns', 'add', netnsName]);
    execFileSync('ip', ['-n', netnsName, 'link', 'set', 'lo', 'up']);
    netns = { name: netnsName, path: `/run/netns/${netnsName}` };
  }
  const daemonNetns = netns;

  const binds = STATE_MOUNTS.map(
    ([name, target]) => `mount --bind ${quote(join(dir, name))} ${quote(target)}`,
  ).join(' && ');
  mkdirSync(CAPABILITY_CACHE, { recursive: true });
  mkdirSync('/var/cache/libvirt', { recursive: true });
  const script = [
    binds,
    `mount --bind ${quote(CAPABILITY_CACHE)} /var/cache/libvirt`,
    // The host's qemu.conf, without QEMU's own mount namespace: libvirt cannot move a /dev/pts that is
    // itself a bind mount, as it is in the /dev below.
    `cp /etc/libvirt/qemu.conf ${quote(join(dir, 'qemu.conf'))} && echo 'namespaces = [ ]' >> ${quote(join(dir, 'qemu.conf'))}`,
    `mount --bind ${quote(join(dir, 'qemu.conf'))} /etc/libvirt/qemu.conf`,
    // This machine kind has a /dev/kvm that QEMU cannot use (nested: KVM fails its MSR checks, and
    // libvirt hangs probing it); the sandbox hides it, so libvirt offers TCG only, as on a host without KVM.
    ...(options.kvm ? [] : hideKvm(join(dir, 'dev'))),
    `virtlogd --pid-file ${quote(join(dir, 'virtlogd.pid'))} &`,
    `exec libvirtd --pid-file ${quote(join(dir, 'libvirtd.pid'))}`,
  ].join('\n');
  const daemon: ChildProcess = spawn(
    'unshare',
    ['--mount', '--propagation', 'private', 'nsenter', `--net=${daemonNetns.path}`, 'sh', '-c', script],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  daemon.stdout!.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  daemon.stderr!.on('data', (chunk: Buffer) => {
    output += chunk;
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));

  const socketPath = join(dir, 'run', 'libvirt-sock');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // VMs first: libvirtd leaves its QEMU processes running when it exits.
    const qemuState = join(dir, 'run', 'qemu');
    for (const file of existsSync(qemuState) ? readdirSync(qemuState) : []) {
      if (file.endsWith('.pid')) killPidFile(join(qemuState, file));
    }
    daemon.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    daemon.kill('SIGKILL');
    killPidFile(join(dir, 'virtlogd.pid'));
    if (ownNetns) removeNetns(daemonNetns.name);
    rmSync(dir, { recursive: true, force: true });
  };

  const logs = (): string => {
    const parts = [`libvirtd output:\n${output}`];
    const logDir = join(dir, 'log', 'qemu');
    for (const file of existsSync(logDir) ? readdirSync(logDir) : []) {
      parts.push(`${file}:\n${readFileSync(join(logDir, file), 'utf8').slice(-4000)}`);
    }
    return parts.join('\n');
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(existsSync(socketPath) && (await connectable(socketPath)))) {
    if (daemon.exitCode !== null || Date.now() > deadline) {
      const why =
        daemon.exitCode !== null ? `exited with ${daemon.exitCode}` : 'did not open its socket in time';
      const detail = logs();
      await stop();
      throw new Error(`sandboxed libvirtd ${why}:\n${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  return {
    dir,
    socketPath,
    netns: daemonNetns,
    poolDir,
    mountNamespace: `/proc/${daemon.pid}/ns/mnt`,
    uri: (driver = 'qemu', path = '/system') => `${driver}+unix://${path}?socket=${socketPath}`,
    logs,
    stop,
  };
}

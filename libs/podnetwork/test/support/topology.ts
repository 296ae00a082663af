// Throwaway namespaces for the tests: a bridge "underlay", a worker with a CNI-like pod netns, and a
// pod VM. Unique names per run; everything is removed after each test even when it fails.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { createNetns, deleteNetns, listNetns, namedNetnsPath } from '@peerpods/netops';

export const exec = promisify(execFile);

/** Every test that touches the kernel calls this first: it fails, it does not skip. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'this test needs root (it creates network namespaces, links and iptables rules): run it as root, as CI does',
    );
  }
}

export const RUN_PREFIX = `ppn-${process.pid}-`;
let counter = 0;

export class Scratch {
  private readonly namespaces = new Set<string>();
  private readonly children = new Set<ChildProcess>();

  /** A unique name; registered for deletion (whoever creates it). */
  name(): string {
    counter++;
    const name = `${RUN_PREFIX}${counter}`;
    this.namespaces.add(name);
    return name;
  }

  async netns(): Promise<{ name: string; path: string }> {
    requireRoot();
    const name = this.name();
    const path = await createNetns(name);
    await ip(name, 'link set lo up');
    return { name, path };
  }

  /** `ip netns exec NAME node -e CODE`; resolves once the program printed its first line. */
  async server(ns: string, code: string): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.children.add(child);
    let stderr = '';
    child.stderr!.on('data', (d) => {
      stderr += d;
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`server in ${ns} exited ${code}: ${stderr}`)));
    });
  }

  async cleanup(): Promise<void> {
    for (const child of this.children) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await exited;
      }
    }
    this.children.clear();
    const errors: unknown[] = [];
    for (const name of this.namespaces) {
      await deleteNetns(name, { ifExists: true }).catch((error: unknown) => errors.push(error));
    }
    this.namespaces.clear();
    if (errors.length > 0) throw new AggregateError(errors, 'test clean-up failed');
  }
}

/** Runs `ip -n NS` with one line split on spaces. */
export async function ip(ns: string, line: string): Promise<string> {
  return (await exec('ip', ['-n', ns, ...line.split(' ')])).stdout;
}

export async function inNetns(ns: string, file: string, args: string[]): Promise<string> {
  return (await exec('ip', ['netns', 'exec', ns, file, ...args], { timeout: 20_000 })).stdout;
}

export async function leftoverNamespaces(): Promise<string[]> {
  return (await listNetns()).filter((name) => name.startsWith(RUN_PREFIX));
}

export interface Topology {
  bridge: string;
  worker: { name: string; path: string };
  pod: { name: string; path: string };
  vm: { name: string; path: string };
  /** Where the pod VM side creates the pod netns (not created yet). */
  vmPodName: string;
}

export const POD_MAC = '0a:58:0a:f4:07:05';

/**
 * bridge ns (br0) ── worker (eth0 198.51.100.1/24, default via .254; cni0 10.244.7.1/24, or for a /32
 *                    pod Calico style: no bridge, veth1 with MAC ee:ee:ee:ee:ee:ee and a host route)
 *                      └─ pod ns (eth0 POD_IP, MAC, default via 10.244.7.1)
 *                 ── pod VM (eth0 198.51.100.2/24, default via .254)
 */
export async function buildTopology(
  scratch: Scratch,
  options: { podIp?: string; dedicated?: boolean } = {},
): Promise<Topology> {
  const bridge = await scratch.netns();
  const worker = await scratch.netns();
  const pod = await scratch.netns();
  const vm = await scratch.netns();
  const b = bridge.name;
  await ip(b, 'link add br0 type bridge');
  await ip(b, 'link set br0 up');
  const uplinks: [string, string, string][] = [
    [worker.name, 'eth0', '198.51.100.1/24'],
    [vm.name, 'eth0', '198.51.100.2/24'],
  ];
  if (options.dedicated) {
    uplinks.push([worker.name, 'eth1', '203.0.113.1/24'], [vm.name, 'eth1', '203.0.113.2/24']);
  }
  let n = 0;
  for (const [ns, dev, cidr] of uplinks) {
    n++;
    await ip(b, `link add p${n} type veth peer name ${dev} netns ${ns}`);
    await ip(b, `link set p${n} master br0 up`);
    await ip(ns, `addr add ${cidr} dev ${dev}`);
    await ip(ns, `link set ${dev} up`);
  }
  for (const ns of [worker.name, vm.name]) await ip(ns, 'route add default via 198.51.100.254 dev eth0');
  const podIp = options.podIp ?? '10.244.7.5/24';
  await ip(worker.name, `link add veth1 type veth peer name eth0 netns ${pod.name}`);
  if (podIp.endsWith('/32')) {
    // Calico style: the host end answers for the fake gateway's MAC; the worker routes the pod IP to it.
    await ip(worker.name, 'link set veth1 address ee:ee:ee:ee:ee:ee');
    await ip(worker.name, 'link set veth1 up');
  } else {
    await ip(worker.name, 'link add cni0 type bridge');
    await ip(worker.name, 'addr add 10.244.7.1/24 dev cni0');
    await ip(worker.name, 'link set cni0 up');
    await ip(worker.name, 'link set veth1 master cni0 up');
  }
  await ip(pod.name, `link set eth0 address ${POD_MAC}`);
  await ip(pod.name, `addr add ${podIp} dev eth0`);
  await ip(pod.name, 'link set eth0 up');
  if (podIp.endsWith('/32')) {
    // Calico style: a link-scoped route to a fake gateway, with a permanent neighbour entry for it.
    await ip(pod.name, 'route add 169.254.1.1 dev eth0 scope link');
    await ip(pod.name, 'route add default via 169.254.1.1 dev eth0');
    await ip(pod.name, 'neigh add 169.254.1.1 lladdr ee:ee:ee:ee:ee:ee dev eth0 nud permanent');
    // The worker reaches the pod by a host route, as Calico's cali* routes do.
    await ip(worker.name, `route add ${podIp} dev veth1 scope link`);
  } else {
    await ip(pod.name, 'route add default via 10.244.7.1 dev eth0');
  }
  return { bridge: b, worker, pod, vm, vmPodName: scratch.name() };
}

export { namedNetnsPath };

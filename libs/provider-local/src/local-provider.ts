import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { CreateInstanceRequest, Instance, Provider } from '@peerpods/providers';
import { checkBinaries } from './binaries';
import { ensureBridge, removeBridge } from './bridge';
import { type InstanceRecord, writeInstanceRecord } from './instance-record';
import { hostAddress, hostCount, type Ipv4Subnet } from './ipv4-subnet';
import { hasPrivateMountNamespace } from './mount-namespace';
import { BootError, type BootedPodVm, bootPodVm, type PodVmBinaries } from './pod-vm-boot';
import { createPodVmNetns, removePodVmNetns } from './pod-vm-netns';
import { netnsPids, stopProcesses } from './processes';
import { claimStateDir, releaseStateDir } from './state-dir-lock';
import { sweepLeftovers } from './sweep';

export interface LocalProviderSettings {
  subnet: Ipv4Subnet;
  bridge: string;
  stateDir: string;
  binaries: PodVmBinaries;
  log: (message: string) => void;
  /**
   * The network namespace the bridge lives in, as a path; default this process's own (the daemon's,
   * which is where the worker side of each tunnel is built too). Tests pass a throwaway one.
   */
  netns?: string;
}

interface PodVm {
  record: InstanceRecord;
  boot?: BootedPodVm;
  /** Set once deletion began: exits from then on are expected. */
  deleting?: Promise<void>;
}

// The forwarder tears its tunnel end down on SIGTERM; a VM being deleted gets this long to do so.
const STOP_GRACE_MS = 2000;
// Network namespace names are file names under /run/netns; the pod namespace adds a suffix.
const MAX_NAME_LENGTH = 200;
const POD_NETNS_SUFFIX = '-podns';

/**
 * Pod VMs as network namespaces on one machine: each gets a namespace named after the instance, an
 * address on the provider's bridge, a root directory under the state directory, and runs the real
 * process-user-data, kata agent (dev-agent unless told otherwise) and agent-protocol-forwarder, so
 * the daemon sees what it sees with a cloud VM: user-data in, mutual TLS and VXLAN out.
 */
export class LocalProvider implements Provider {
  readonly #settings: LocalProviderSettings;
  readonly #podVms = new Map<string, PodVm>();
  readonly #usedHosts = new Set<number>();

  private constructor(settings: LocalProviderSettings) {
    this.#settings = settings;
  }

  /** Claims the state directory, removes a crashed run's leftovers, then makes sure the bridge is there. */
  static async start(settings: LocalProviderSettings): Promise<LocalProvider> {
    if (process.getuid?.() !== 0) {
      throw new Error(
        'the local provider needs root: it creates network namespaces, links and iptables rules',
      );
    }
    await checkBinaries(settings.binaries);
    if (await hasPrivateMountNamespace()) {
      settings.log(
        'warning: this process has its own mount namespace (started by `ip netns exec`?): the network ' +
          'namespaces it creates are invisible outside it, and after a crash nothing can sweep them; ' +
          'enter a network namespace with `nsenter --net=PATH` instead',
      );
    }
    await claimStateDir(settings.stateDir);
    try {
      for (const swept of await sweepLeftovers(settings.stateDir, settings.netns)) {
        settings.log(
          `removed pod VM ${swept.name} left by an earlier run (${swept.processes} process(es), its namespaces and files)`,
        );
      }
      await ensureBridge(settings.bridge, settings.subnet, settings.netns);
    } catch (error) {
      await releaseStateDir(settings.stateDir);
      throw error;
    }
    settings.log(
      `bridge ${settings.bridge} ${hostAddress(settings.subnet, 1)}/${settings.subnet.prefixLength}, ` +
        `state in ${settings.stateDir}, agent ${settings.binaries.agent}`,
    );
    return new LocalProvider(settings);
  }

  async createInstance(request: CreateInstanceRequest): Promise<Instance> {
    const { subnet, bridge, stateDir, binaries } = this.#settings;
    const name = request.instanceName;
    if (name === '' || name.includes('/') || name.length > MAX_NAME_LENGTH) {
      throw new Error(`instance name ${JSON.stringify(name)} cannot name a network namespace`);
    }
    if (this.#podVms.has(name)) throw new Error(`pod VM ${name} already exists`);
    const hostIndex = this.#allocateHost();
    const record: InstanceRecord = {
      name,
      podNetns: `${name}${POD_NETNS_SUFFIX}`,
      hostIndex,
      ip: hostAddress(subnet, hostIndex),
      veth: `ppvm${hostIndex}`,
      root: join(stateDir, name),
    };
    const podVm: PodVm = { record };
    this.#podVms.set(name, podVm);
    try {
      await writeInstanceRecord(record);
      request.signal.throwIfAborted();
      await createPodVmNetns(
        record,
        bridge,
        hostAddress(subnet, 1),
        subnet.prefixLength,
        this.#settings.netns,
      );
      request.signal.throwIfAborted();
      podVm.boot = await bootPodVm(record, request.userData, binaries, request.signal).catch(
        (error: unknown) => {
          // Started programs must be stopped by the clean-up below.
          if (error instanceof BootError) podVm.boot = error.booted;
          throw error;
        },
      );
      this.#watch(podVm, 'agent-protocol-forwarder', podVm.boot.forwarder, podVm.boot.logs.forwarder);
      this.#watch(podVm, 'agent', podVm.boot.agent, podVm.boot.logs.agent);
    } catch (error) {
      await this.deleteInstance(name).catch(() => {});
      throw new Error(`creating pod VM ${name}: ${(error as Error).message}`, { cause: error });
    }
    this.#settings.log(`created pod VM ${name} at ${record.ip} (${record.root})`);
    return { id: name, name, ips: [record.ip] };
  }

  /** Stops the pod VM's programs and removes its namespaces, veth and directory. Unknown ids are fine. */
  deleteInstance(id: string): Promise<void> {
    const podVm = this.#podVms.get(id);
    if (!podVm) return Promise.resolve();
    podVm.deleting ??= this.#destroy(podVm);
    return podVm.deleting;
  }

  async teardown(): Promise<void> {
    await Promise.all([...this.#podVms.keys()].map((id) => this.deleteInstance(id)));
    await removeBridge(this.#settings.bridge, this.#settings.netns);
    await releaseStateDir(this.#settings.stateDir);
  }

  async verifyConfig(): Promise<void> {
    await checkBinaries(this.#settings.binaries);
  }

  /** Pod VMs alive now, by instance name (for tests and diagnostics). */
  instances(): InstanceRecord[] {
    return [...this.#podVms.values()].map((podVm) => podVm.record);
  }

  async #destroy(podVm: PodVm): Promise<void> {
    const { record, boot } = podVm;
    const started = [boot?.forwarder.pid, boot?.agent.pid].filter((pid) => pid !== undefined);
    await stopProcesses(started, 'SIGTERM', STOP_GRACE_MS);
    // Whatever else runs in the VM (containers the agent started) goes the way of a powered-off VM.
    const rest = [...(await netnsPids(record.name)), ...(await netnsPids(record.podNetns))];
    await stopProcesses(rest, 'SIGKILL', 0);
    await removePodVmNetns(record, this.#settings.netns);
    await rm(record.root, { recursive: true, force: true });
    this.#usedHosts.delete(record.hostIndex);
    this.#podVms.delete(record.name);
  }

  #allocateHost(): number {
    const { subnet } = this.#settings;
    // Host 1 is the bridge.
    for (let index = 2; index <= hostCount(subnet); index++) {
      if (!this.#usedHosts.has(index)) {
        this.#usedHosts.add(index);
        return index;
      }
    }
    throw new Error(
      `local subnet ${subnet.cidr} is full (${hostCount(subnet) - 1} pod VMs); use a larger -local-subnet`,
    );
  }

  #watch(podVm: PodVm, program: string, child: ChildProcess, logFile: string): void {
    child.once('exit', (code, signal) => {
      if (podVm.deleting) return;
      this.#settings.log(
        `pod VM ${podVm.record.name}: ${program} exited (${signal ?? `code ${code}`}); its log is ${logFile}`,
      );
    });
  }
}

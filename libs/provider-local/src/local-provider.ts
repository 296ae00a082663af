import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hostAddress, hostCount, type Ipv4Subnet, netnsPids } from '@peerpods/netops';
import type { CreateInstanceRequest, Instance, Provider } from '@peerpods/providers';
import { checkBinaries } from './binaries';
import { ensureBridge, removeBridge } from './bridge';
import { type InstanceRecord, writeInstanceRecord } from './instance-record';
import { hasPrivateMountNamespace } from './mount-namespace';
import { bootPodVm, type PodVmBinaries } from './pod-vm-boot';
import { createPodVmNetns, NOTHING_MADE, type PodVmNetworkParts, removePodVmNetns } from './pod-vm-netns';
import { stopChildren, stopProcesses } from './processes';
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
  /** What of its network this provider made (only that is removed). */
  made: PodVmNetworkParts;
  /** Programs started for it, from the moment each is spawned. */
  children: ChildProcess[];
  /** Set once deletion began: exits from then on are expected. */
  deleting?: Promise<void>;
}

// The forwarder tears its tunnel end down on SIGTERM; a VM being deleted gets this long to do so.
const STOP_GRACE_MS = 2000;
// Instance names become namespace and directory names (and words in ip batch lines): what the
// daemon's instance naming produces, and nothing that could mean a path or another command.
const INSTANCE_NAME = /^[a-z0-9][a-z0-9-]{0,199}$/;
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
    if (!INSTANCE_NAME.test(name)) {
      throw new Error(
        `instance name ${JSON.stringify(name)} cannot name a pod VM: expected ${INSTANCE_NAME}`,
      );
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
    const podVm: PodVm = { record, made: { ...NOTHING_MADE }, children: [] };
    this.#podVms.set(name, podVm);
    try {
      await writeInstanceRecord(record);
      request.signal.throwIfAborted();
      await createPodVmNetns(
        record,
        bridge,
        hostAddress(subnet, 1),
        subnet.prefixLength,
        podVm.made,
        this.#settings.netns,
      );
      request.signal.throwIfAborted();
      const boot = await bootPodVm(record, request.userData, binaries, request.signal, podVm.children);
      this.#watch(podVm, 'agent-protocol-forwarder', boot.forwarder, boot.logs.forwarder);
      this.#watch(podVm, 'agent', boot.agent, boot.logs.agent);
    } catch (error) {
      await this.deleteInstance(name).catch(() => {});
      throw new Error(`creating pod VM ${name}: ${(error as Error).message}`, { cause: error });
    }
    this.#settings.log(`created pod VM ${name} at ${record.ip} (${record.root})`);
    return { id: name, name, ips: [record.ip] };
  }

  /**
   * Stops the pod VM's programs and removes its namespaces, veth and directory. Unknown ids are fine;
   * a delete in progress is shared; a failed one can be retried.
   */
  deleteInstance(id: string): Promise<void> {
    const podVm = this.#podVms.get(id);
    if (!podVm) return Promise.resolve();
    podVm.deleting ??= this.#destroy(podVm).catch((error: unknown) => {
      podVm.deleting = undefined;
      throw error;
    });
    return podVm.deleting;
  }

  /** Deletes every pod VM still here, then the bridge, then gives up the state directory, whatever fails. */
  async teardown(): Promise<void> {
    const results = await Promise.allSettled([...this.#podVms.keys()].map((id) => this.deleteInstance(id)));
    const bridge = await removeBridge(this.#settings.bridge, this.#settings.netns).then(
      () => undefined,
      (error: unknown) => error,
    );
    await releaseStateDir(this.#settings.stateDir);
    const failures = [
      ...results.filter((result) => result.status === 'rejected').map((result) => result.reason as unknown),
      ...(bridge === undefined ? [] : [bridge]),
    ];
    if (failures.length > 0) throw new Error(`local provider teardown: ${failures.map(String).join('; ')}`);
  }

  async verifyConfig(): Promise<void> {
    await checkBinaries(this.#settings.binaries);
  }

  /** Pod VMs alive now, by instance name (for tests and diagnostics). */
  instances(): InstanceRecord[] {
    return [...this.#podVms.values()].map((podVm) => podVm.record);
  }

  async #destroy(podVm: PodVm): Promise<void> {
    const { record, made, children } = podVm;
    await stopChildren(children, 'SIGTERM', STOP_GRACE_MS);
    // Whatever else runs in the VM (containers the agent started) goes the way of a powered-off VM.
    const rest = [
      ...(made.vmNetns ? await netnsPids(record.name) : []),
      ...(made.podNetns ? await netnsPids(record.podNetns) : []),
    ];
    await stopProcesses(rest, 'SIGKILL', 0);
    await removePodVmNetns(record, made, this.#settings.netns);
    await rm(record.root, { recursive: true, force: true });
    // Only once everything is gone may the address and name be handed out again.
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

import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hostAddress, hostCount, type Ipv4Subnet, netnsPids } from '@peerpods/netops';
import { checkBinaries } from './binaries';
import { ensureBridge, removeBridge } from './bridge';
import { type InstanceRecord, writeInstanceRecord } from './instance-record';
import type { HostLabels } from './labels';
import { redirectMetadata } from './metadata-redirect';
import { hasPrivateMountNamespace } from './mount-namespace';
import { type BootPlan, bootPodVm, type PodVmBinaries } from './pod-vm-boot';
import {
  ALL_MADE,
  createPodVmNetns,
  NOTHING_MADE,
  type PodVmNetworkParts,
  removePodVmNetns,
} from './pod-vm-netns';
import { stopChildren, stopProcesses } from './processes';
import { claimStateDir, releaseStateDir } from './state-dir-lock';
import { runningLeftovers, sweepLeftovers } from './sweep';

export interface PodVmHostSettings {
  subnet: Ipv4Subnet;
  bridge: string;
  stateDir: string;
  binaries: PodVmBinaries;
  log: (message: string) => void;
  labels: HostLabels;
  /**
   * The network namespace the bridge lives in, as a path; default this process's own (the daemon's,
   * which is where the worker side of each tunnel is built too). Tests pass a throwaway one.
   */
  netns?: string;
  /**
   * Take over the pod VMs a previous run left that still run (a restarted daemon keeps its pods),
   * instead of removing them; those that no longer run are removed either way. Default false.
   */
  adoptLeftovers?: boolean;
}

export interface LaunchOptions extends BootPlan {
  /** Recorded with the VM, so that a restarted daemon can tell which sandbox it belongs to. */
  sandboxId?: string;
  /** Serve 169.254.169.254:80 inside the VM from this port on the bridge address (a fake cloud's IMDS). */
  metadataPort?: number;
  /** Make the VM's namespaces and network but start nothing in it: a VM that never boots. */
  noBoot?: boolean;
  signal: AbortSignal;
}

/** A pod VM that has its name and address; `booted` settles once its programs run (or failed to). */
export interface LaunchedPodVm {
  readonly record: InstanceRecord;
  readonly booted: Promise<void>;
}

interface PodVm {
  record: InstanceRecord;
  /** What of its network this host made (only that is removed). */
  made: PodVmNetworkParts;
  /** Programs started for it, from the moment each is spawned. */
  children: ChildProcess[];
  /** Aborts the build when the VM is destroyed first. */
  stopBuild: AbortController;
  /** The build; destroy waits for it to stop before removing anything. */
  building: Promise<void>;
  /** Set once deletion began: exits from then on are expected. */
  deleting?: Promise<void>;
  /** Taken over from a previous run: its programs are not our children. */
  adopted?: boolean;
}

// The forwarder tears its tunnel end down on SIGTERM; a VM being deleted gets this long to do so.
const STOP_GRACE_MS = 2000;
// Instance names become namespace and directory names (and words in ip batch lines): what the
// daemon's instance naming produces, and nothing that could mean a path or another command.
const INSTANCE_NAME = /^[a-z0-9][a-z0-9-]{0,199}$/;
const POD_NETNS_SUFFIX = '-podns';

/**
 * Pod VMs as network namespaces on one machine, the machinery the local provider and the fake clouds
 * share: each VM gets a namespace named after the instance, an address on the host's bridge, a root
 * directory under the state directory, and runs the real process-user-data, kata agent (dev-agent
 * unless told otherwise) and agent-protocol-forwarder, so the daemon sees what it sees with a cloud
 * VM: user-data in, mutual TLS and VXLAN out.
 */
export class PodVmHost {
  readonly settings: Readonly<PodVmHostSettings>;
  readonly #podVms = new Map<string, PodVm>();
  readonly #usedHosts = new Set<number>();

  private constructor(settings: PodVmHostSettings) {
    this.settings = settings;
  }

  /** The bridge's address: the pod VMs' gateway, and where a fake cloud's metadata server listens. */
  get gateway(): string {
    return hostAddress(this.settings.subnet, 1);
  }

  /** Claims the state directory, removes a crashed run's leftovers, then makes sure the bridge is there. */
  static async start(settings: PodVmHostSettings): Promise<PodVmHost> {
    if (process.getuid?.() !== 0) {
      throw new Error(
        `the ${settings.labels.owner} pod VMs need root: they are network namespaces, links and iptables rules`,
      );
    }
    await checkBinaries(settings.binaries, settings.labels);
    if (await hasPrivateMountNamespace()) {
      settings.log(
        'warning: this process has its own mount namespace (started by `ip netns exec`?): the network ' +
          'namespaces it creates are invisible outside it, and after a crash nothing can sweep them; ' +
          'enter a network namespace with `nsenter --net=PATH` instead',
      );
    }
    await claimStateDir(settings.stateDir, settings.labels);
    const host = new PodVmHost(settings);
    try {
      const keep = settings.adoptLeftovers ? await runningLeftovers(settings.stateDir) : [];
      for (const swept of await sweepLeftovers(
        settings.stateDir,
        settings.netns,
        new Set(keep.map((r) => r.name)),
      )) {
        settings.log(
          `removed pod VM ${swept.name} left by an earlier run (${swept.processes} process(es), its namespaces and files)`,
        );
      }
      for (const record of keep) {
        host.#usedHosts.add(record.hostIndex);
        host.#podVms.set(record.name, {
          record,
          made: { ...ALL_MADE },
          children: [],
          stopBuild: new AbortController(),
          building: Promise.resolve(),
          adopted: true,
        });
        settings.log(`took over pod VM ${record.name} at ${record.ip}, left running by an earlier run`);
      }
      await ensureBridge(settings.bridge, settings.subnet, settings.labels, settings.netns);
    } catch (error) {
      await releaseStateDir(settings.stateDir);
      throw error;
    }
    return host;
  }

  /**
   * Gives the VM its name and address at once (a cloud's create answers with both), then builds and
   * boots it in the background: `booted` says how that went. A VM whose boot failed stays until
   * destroyed, as a cloud instance would.
   */
  launch(name: string, options: LaunchOptions): LaunchedPodVm {
    const { subnet, stateDir } = this.settings;
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
      ...(options.sandboxId ? { sandboxId: options.sandboxId } : {}),
      createdAt: new Date().toISOString(),
    };
    const stopBuild = new AbortController();
    const podVm: PodVm = {
      record,
      made: { ...NOTHING_MADE },
      children: [],
      stopBuild,
      building: Promise.resolve(),
    };
    this.#podVms.set(name, podVm);
    const signal = AbortSignal.any([options.signal, stopBuild.signal]);
    podVm.building = this.#build(podVm, options, signal);
    // The caller may only look at `booted` later (or never, for a VM that is deleted first).
    podVm.building.catch(() => {});
    return { record, booted: podVm.building };
  }

  /**
   * Stops the pod VM's programs and removes its namespaces, veth and directory. Unknown names are
   * fine; a delete in progress is shared; a failed one can be retried.
   */
  destroy(name: string): Promise<void> {
    const podVm = this.#podVms.get(name);
    if (!podVm) return Promise.resolve();
    podVm.deleting ??= this.#destroy(podVm).catch((error: unknown) => {
      podVm.deleting = undefined;
      throw error;
    });
    return podVm.deleting;
  }

  /**
   * Destroys every pod VM still here, then the bridge, then gives up the state directory, whatever
   * fails. With `keepPodVms` (a daemon that leaves its pods to its successor) the VMs and the bridge
   * they hang on stay, and only the state directory is given up.
   */
  async teardown(options: { keepPodVms?: boolean } = {}): Promise<void> {
    if (options.keepPodVms) {
      await Promise.all([...this.#podVms.values()].map((podVm) => podVm.building.catch(() => {})));
      await releaseStateDir(this.settings.stateDir);
      return;
    }
    const results = await Promise.allSettled([...this.#podVms.keys()].map((name) => this.destroy(name)));
    const bridge = await removeBridge(this.settings.bridge, this.settings.netns).then(
      () => undefined,
      (error: unknown) => error,
    );
    await releaseStateDir(this.settings.stateDir);
    const failures = [
      ...results.filter((result) => result.status === 'rejected').map((result) => result.reason as unknown),
      ...(bridge === undefined ? [] : [bridge]),
    ];
    if (failures.length > 0) {
      throw new Error(`${this.settings.labels.owner} pod VM teardown: ${failures.map(String).join('; ')}`);
    }
  }

  async checkBinaries(): Promise<void> {
    await checkBinaries(this.settings.binaries, this.settings.labels);
  }

  /** Pod VMs alive now (for listings, tests and diagnostics). */
  list(): InstanceRecord[] {
    return [...this.#podVms.values()].map((podVm) => podVm.record);
  }

  async #build(podVm: PodVm, options: LaunchOptions, signal: AbortSignal): Promise<void> {
    const { record, made, children } = podVm;
    const { bridge, subnet, binaries, netns } = this.settings;
    await writeInstanceRecord(record);
    signal.throwIfAborted();
    await createPodVmNetns(record, bridge, this.gateway, subnet.prefixLength, made, netns);
    if (options.metadataPort !== undefined) {
      await redirectMetadata(record.name, { address: this.gateway, port: options.metadataPort });
    }
    signal.throwIfAborted();
    if (options.noBoot) return;
    const boot = await bootPodVm(record, options, binaries, signal, children);
    this.#watch(podVm, 'agent-protocol-forwarder', boot.forwarder, boot.logs.forwarder);
    this.#watch(podVm, 'agent', boot.agent, boot.logs.agent);
  }

  async #destroy(podVm: PodVm): Promise<void> {
    const { record, made, children } = podVm;
    // A build still running would go on making things after they were removed.
    podVm.stopBuild.abort(new Error(`pod VM ${record.name} is being deleted`));
    await podVm.building.catch(() => {});
    await stopChildren(children, 'SIGTERM', STOP_GRACE_MS);
    // A VM taken over from an earlier run: its programs get the same grace, found by namespace.
    if (podVm.adopted) await stopProcesses(await netnsPids(record.name), 'SIGTERM', STOP_GRACE_MS);
    // Whatever else runs in the VM (containers the agent started) goes the way of a powered-off VM.
    const rest = [
      ...(made.vmNetns ? await netnsPids(record.name) : []),
      ...(made.podNetns ? await netnsPids(record.podNetns) : []),
    ];
    await stopProcesses(rest, 'SIGKILL', 0);
    await removePodVmNetns(record, made, this.settings.netns);
    await rm(record.root, { recursive: true, force: true });
    // Only once everything is gone may the address and name be handed out again.
    this.#usedHosts.delete(record.hostIndex);
    this.#podVms.delete(record.name);
  }

  #allocateHost(): number {
    const { subnet, labels } = this.settings;
    // Host 1 is the bridge.
    for (let index = 2; index <= hostCount(subnet); index++) {
      if (!this.#usedHosts.has(index)) {
        this.#usedHosts.add(index);
        return index;
      }
    }
    throw new Error(
      `${labels.owner} subnet ${subnet.cidr} is full (${hostCount(subnet) - 1} pod VMs); use a larger ${labels.options.subnet}`,
    );
  }

  #watch(podVm: PodVm, program: string, child: ChildProcess, logFile: string): void {
    child.once('exit', (code, signal) => {
      if (podVm.deleting) return;
      this.settings.log(
        `pod VM ${podVm.record.name}: ${program} exited (${signal ?? `code ${code}`}); its log is ${logFile}`,
      );
    });
  }
}

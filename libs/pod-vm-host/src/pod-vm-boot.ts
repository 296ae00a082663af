import type { ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { waitForBoot } from './boot-readiness';
import type { InstanceRecord } from './instance-record';
import { runInNetns, spawnInNetns } from './processes';

/** The programs a pod VM runs, as resolved from the provider's options. */
export interface PodVmBinaries {
  processUserData: string;
  forwarder: string;
  agent: string;
}

/** How a pod VM gets its user-data, and what its "hardware" tells process-user-data. */
export interface BootPlan {
  /** Written as `<root>/media/cidata/user-data` (the local provider); unset: fetched from a metadata service. */
  userData?: string;
  /**
   * Files under the VM's root that stand for its firmware, keyed by path relative to the root:
   * `sys/class/dmi/id/sys_vendor` = "Amazon EC2" makes process-user-data take the EC2 path. Files
   * under a `bin/` directory are made executable: a platform's tools (vSphere's vmware-rpctool).
   */
  hardware?: Readonly<Record<string, string>>;
  /** Environment for process-user-data only: a cloud's endpoint overrides (PEERPODS_USERDATA_*). */
  userDataEnv?: Readonly<Record<string, string>>;
}

export interface BootedPodVm {
  readonly agent: ChildProcess;
  readonly forwarder: ChildProcess;
  /** `<root>/log/<program>.log`. */
  readonly logs: { agent: string; forwarder: string; processUserData: string };
}

// Far above a normal boot (well under a second here), far below kata's StartVM time-out.
const BOOT_TIMEOUT_MS = 60_000;

// A cloud VM's image runs process-user-data with its own default; the file is already there, so this
// only bounds a broken binary.
const USER_DATA_TIMEOUT_S = 30;

/** Paths inside a pod VM's root, mirroring a real pod VM's layout. */
export function podVmPaths(root: string) {
  return {
    userData: join(root, 'media/cidata/user-data'),
    apfConfig: join(root, 'run/peerpod/apf.json'),
    agentSocket: join(root, 'run/kata-containers/agent.sock'),
    logDir: join(root, 'log'),
  };
}

/**
 * What a pod VM's boot does, in its order: the user-data arrives as a cidata file (or waits in a
 * metadata service), process-user-data
 * turns it into /run/peerpod (here `<root>/run/peerpod`), then the kata agent and
 * agent-protocol-forwarder start. Resolves once the forwarder has set up the pod network and listens.
 */
export async function bootPodVm(
  record: InstanceRecord,
  plan: BootPlan,
  binaries: PodVmBinaries,
  signal: AbortSignal,
  /** Every program is added here as soon as it is spawned, so a failed boot can still stop it. */
  started: ChildProcess[],
): Promise<BootedPodVm> {
  const paths = podVmPaths(record.root);
  const logs = {
    processUserData: join(paths.logDir, 'process-user-data.log'),
    agent: join(paths.logDir, 'agent.log'),
    forwarder: join(paths.logDir, 'agent-protocol-forwarder.log'),
  };
  await Promise.all([
    mkdir(join(record.root, 'run/kata-containers'), { recursive: true, mode: 0o700 }),
    mkdir(paths.logDir, { recursive: true, mode: 0o700 }),
  ]);
  if (plan.userData !== undefined) {
    await mkdir(dirname(paths.userData), { recursive: true, mode: 0o700 });
    await writeFile(paths.userData, plan.userData, { mode: 0o600 });
  }
  for (const [path, content] of Object.entries(plan.hardware ?? {})) {
    const file = join(record.root, path);
    await mkdir(dirname(file), { recursive: true, mode: 0o755 });
    // What stands in under a bin directory is a tool of the platform (vmware-rpctool): executable.
    await writeFile(file, content, { mode: /(^|\/)bin\//.test(path) ? 0o755 : 0o644 });
  }
  const env = { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  // The agent needs no user-data: it starts while process-user-data runs, as on a booting VM.
  const agent = spawnInNetns(record.name, binaries.agent, [], {
    env: { ...env, KATA_AGENT_SERVER_ADDR: `unix://${paths.agentSocket}` },
    logFile: logs.agent,
  });
  started.push(agent);
  const output = await runInNetns(
    record.name,
    binaries.processUserData,
    ['provision-files', '--root', record.root, '-t', String(USER_DATA_TIMEOUT_S)],
    { env: { ...env, ...plan.userDataEnv }, timeoutMs: (USER_DATA_TIMEOUT_S + 5) * 1000 },
  );
  await writeFile(logs.processUserData, output, { mode: 0o600 });
  const forwarder = spawnInNetns(
    record.name,
    binaries.forwarder,
    [
      '-config',
      paths.apfConfig,
      '-kata-agent-socket',
      paths.agentSocket,
      '-pod-namespace',
      `/run/netns/${record.podNetns}`,
    ],
    { env, logFile: logs.forwarder },
  );
  started.push(forwarder);
  await waitForBoot({ forwarder, agent, logs }, signal, BOOT_TIMEOUT_MS);
  return { agent, forwarder, logs };
}

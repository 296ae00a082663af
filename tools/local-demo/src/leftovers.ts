import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { listLinks, listNetns } from '@peerpods/netops';
import type { AdaptorPaths } from './adaptor-process';
import { removeNamespace, type WorkerNode } from './worker-node';

const exec = promisify(execFile);

export interface LeftoverScope {
  worker: WorkerNode;
  paths: AdaptorPaths;
  /** Namespace names the run made or caused: pod VMs (`podvm-…`, `…-podns`) and CNI pod namespaces. */
  namespacePrefixes: readonly string[];
  /** Also count the provider's bridge and the daemon's own files (after the daemon stopped). */
  daemonStopped: boolean;
  /** Processes that are expected to be there (the daemon while it runs). */
  exceptPids?: readonly number[];
  /** `NAME=value` in the environment of every container the run started (see {@link LocalNode.exec}). */
  containerMarker: string;
}

/**
 * Everything a run should have removed and did not, described one per line: namespaces, processes
 * of the pod VMs, links and iptables rules in the worker, files. Empty means clean.
 */
export async function findLeftovers(scope: LeftoverScope): Promise<string[]> {
  const found: string[] = [];
  for (const name of await listNetns()) {
    if (scope.namespacePrefixes.some((prefix) => name.startsWith(prefix)))
      found.push(`network namespace ${name}`);
  }
  for (const process of await runProcesses(scope)) found.push(`process ${process}`);
  const links = await listLinks({ netns: scope.worker.path }).catch(() => []);
  for (const link of links) {
    const ours =
      link.kind === 'vxlan' ||
      link.name.startsWith('ppvm') ||
      (link.kind === 'veth' && link.master === 'cni0') ||
      (scope.daemonStopped && link.name === 'ppbr0');
    if (ours) found.push(`link ${link.name} (${link.kind ?? 'device'}) in ${scope.worker.name}`);
  }
  const rules = await exec('ip', ['netns', 'exec', scope.worker.name, 'iptables-save', '-t', 'raw']).then(
    (result) => result.stdout,
    () => '',
  );
  for (const line of rules.split('\n')) {
    if (line.includes('peerpod')) found.push(`iptables rule in ${scope.worker.name}: ${line}`);
  }
  for (const dir of [scope.paths.stateDir, scope.paths.podsDir]) {
    for (const entry of await readdir(dir).catch(() => [])) {
      // The provider's marker stays by design; its claim, and the daemon's saved CA, only while it runs.
      if (entry === '.peerpods-local-state') continue;
      if (!scope.daemonStopped && (entry === '.owner' || entry === 'daemon-tls.json')) continue;
      found.push(`file ${dir}/${entry}`);
    }
  }
  return found;
}

/**
 * Processes of the run: pod-VM programs (their command line or environment points into the
 * provider's state directory) and containers (their environment carries the run's marker, which
 * survives their namespace being deleted).
 */
async function runProcesses(scope: LeftoverScope): Promise<string[]> {
  const except = scope.exceptPids ?? [];
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid || except.includes(Number(entry))) continue;
    const [cmdline, environ] = await Promise.all([
      readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${entry}/environ`, 'utf8').catch(() => ''),
    ]);
    const ours =
      cmdline.includes(scope.paths.stateDir) ||
      environ.includes(`unix://${scope.paths.stateDir}`) ||
      environ.split('\0').includes(scope.containerMarker);
    if (ours) found.push(`${entry} (${cmdline.split('\0').filter(Boolean).join(' ').slice(0, 120)})`);
  }
  return found;
}

/** Kills what {@link findLeftovers} found and deletes the namespaces, so a failed run leaves nothing. */
export async function removeLeftovers(scope: LeftoverScope): Promise<void> {
  for (const line of await runProcesses(scope)) {
    try {
      process.kill(Number(line.split(' ')[0]), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
  for (const name of await listNetns()) {
    if (!scope.namespacePrefixes.some((prefix) => name.startsWith(prefix))) continue;
    await removeNamespace(name).catch(() => {});
  }
}

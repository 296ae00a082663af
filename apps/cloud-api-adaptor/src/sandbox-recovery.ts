import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@peerpods/log';
import type { WorkerNetwork } from '@peerpods/podnetwork';
import type { OwnedInstance, Provider } from '@peerpods/providers';
import type { PeerPodObjects } from './kubernetes/peer-pod-objects';
import type { SandboxManager } from './sandbox-manager';
import { readSandboxRecords, type SandboxRecord } from './sandbox-record';

export interface RecoveryOptions {
  podsDir: string;
  provider: Provider;
  network: WorkerNetwork;
  sandboxes: SandboxManager;
  log: Logger;
  /** Kubernetes mode: a dropped sandbox's PeerPod is released once its instance is gone. */
  peerPods?: Pick<PeerPodObjects, 'released'>;
}

export interface Recovery {
  /** Sandboxes being taken over; `settled` resolves once each has succeeded or been dropped. */
  adopting: string[];
  settled: Promise<{ adopted: string[]; dropped: string[] }>;
  /** Records that were not of running sandboxes, or whose instance or namespace is gone: cleaned up. */
  cleaned: string[];
  /** Directories whose record could not be read: removed. */
  unreadable: string[];
  /** What the provider listed at start (undefined when the listing failed). */
  instances: OwnedInstance[] | undefined;
}

/**
 * What a daemon does at start with the sandboxes a previous run recorded under the pods dir:
 * running ones whose instance still exists are adopted (SandboxManager.adopt); every other record
 * is cleaned up (its instance, its tunnel, its directory); unreadable records are removed, and the
 * host-side NOTRACK rules of every VNI no adopted sandbox holds go. Everything is logged. Resolves
 * once each adoption has its VNI and the socket may be served; the proxies reconnect meanwhile.
 */
export async function recoverSandboxes(options: RecoveryOptions): Promise<Recovery> {
  const { log, provider, sandboxes, network } = options;
  const { records, unreadable } = readSandboxRecords(options.podsDir);
  for (const bad of unreadable) {
    sandboxes.markRemovedAtStart(bad.id);
    log.warn(`sandbox ${bad.id}: its record cannot be used (${bad.reason}); removing its directory`);
    rmSync(bad.dir, { recursive: true, force: true });
  }
  let instances: OwnedInstance[] | undefined;
  if (records.length > 0) {
    try {
      instances = await provider.listInstances(AbortSignal.timeout(120_000));
    } catch (error) {
      // Without the listing, an instance cannot be called gone: the forwarder dial decides instead.
      log.warn(`listing this node's instances to check recorded sandboxes: ${(error as Error).message}`);
    }
  }
  const listed = instances && new Set(instances.map((instance) => instance.id));
  const adopting: { id: string; done: Promise<boolean> }[] = [];
  const cleaning: Promise<void>[] = [];
  const cleaned: string[] = [];
  for (const record of records) {
    if (record.state === 'running' && (listed === undefined || listed.has(record.instance!.id))) {
      const done = sandboxes.adopt(record).then(
        (tunnel) => {
          log.info(
            `adopted sandbox ${record.id} (pod ${record.podNamespace}/${record.podName}, instance ${record.instance!.id}, tunnel ${tunnel})`,
          );
          return true;
        },
        (error: unknown) => {
          log.warn(`sandbox ${record.id} could not be adopted and was removed: ${(error as Error).message}`);
          return false;
        },
      );
      adopting.push({ id: record.id, done });
      continue;
    }
    cleaned.push(record.id);
    sandboxes.markRemovedAtStart(record.id);
    cleaning.push(cleanUp(record, instances ?? [], options));
  }
  await Promise.all(cleaning);
  // Only adoptions are sandboxes yet, their VNIs reserved: the rules of every other VNI are a dead run's.
  const keep = sandboxes.heldVnis();
  try {
    const reclaimed = await network.reclaim(keep);
    if (reclaimed.length > 0)
      log.info(`removed the NOTRACK rules of VNI(s) ${reclaimed.join(', ')}, left by an earlier run`);
  } catch (error) {
    log.warn(`removing NOTRACK rules left by an earlier run: ${(error as Error).message}`);
  }
  const settled = Promise.all(adopting.map(async (a) => ({ id: a.id, ok: await a.done }))).then(
    (results) => ({
      adopted: results.filter((r) => r.ok).map((r) => r.id),
      dropped: results.filter((r) => !r.ok).map((r) => r.id),
    }),
  );
  return {
    adopting: adopting.map((a) => a.id),
    settled,
    cleaned,
    unreadable: unreadable.map((bad) => bad.id),
    instances,
  };
}

/** A record the daemon cannot adopt: its instance(s), its tunnel and its directory go. */
async function cleanUp(
  record: SandboxRecord,
  instances: OwnedInstance[],
  options: RecoveryOptions,
): Promise<void> {
  const { log, provider, network } = options;
  const ids = new Set(instances.filter((i) => i.sandboxId === record.id).map((i) => i.id));
  if (record.instance) ids.add(record.instance.id);
  const gone = record.state === 'running' && !instances.some((i) => i.id === record.instance?.id);
  const why = gone
    ? `its instance ${record.instance!.id} is gone`
    : `it was ${record.state} when the previous run ended`;
  const removed: string[] = [];
  let deleted = true;
  for (const id of gone ? [] : ids) {
    try {
      await provider.deleteInstance(id, AbortSignal.timeout(600_000));
      removed.push(`instance ${id}`);
    } catch (error) {
      deleted = false;
      log.warn(`sandbox ${record.id}: deleting its instance ${id}: ${(error as Error).message}`);
    }
  }
  // Kept with its finalizer while the instance may still exist: peerpod-ctrl deletes it then.
  if (record.peerPod && deleted && options.peerPods) {
    await options.peerPods.released(record.podNamespace, record.peerPod);
    removed.push(`the finalizer of PeerPod ${record.peerPod}`);
  }
  try {
    await network.teardown({
      sandboxId: record.id,
      netnsPath: record.netnsPath,
      podNetwork: record.podNetwork,
    });
    removed.push('tunnel');
  } catch (error) {
    log.warn(`sandbox ${record.id}: removing its tunnel: ${(error as Error).message}`);
  }
  rmSync(join(options.podsDir, record.id), { recursive: true, force: true });
  log.info(
    `dropped sandbox ${record.id} left by an earlier run (${why}): removed ${[...removed, 'its directory'].join(', ')}`,
  );
}

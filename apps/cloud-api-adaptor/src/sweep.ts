import type { OwnedInstance, ProviderContext, ProviderFactory } from '@peerpods/providers';
import { refuseIfServed } from './served-socket';

export interface SweepOptions {
  factory: ProviderFactory;
  values: Parameters<ProviderFactory['create']>[0];
  context: ProviderContext;
  /** The daemon's socket: a sweep that deletes refuses while a daemon serves it. */
  socketPath: string;
  dryRun: boolean;
  /** Only instances at least this old (ms). */
  minAgeMs: number;
  out: (line: string) => void;
  now?: () => number;
}

export interface SweepResult {
  found: OwnedInstance[];
  deleted: string[];
  failed: { id: string; error: string }[];
}

/**
 * Deletes the pod VMs this node owns (its ownership tags) that no daemon is using: run by hand when
 * cloud-api-adaptor is stopped, after a crash left instances behind. With a daemon running, every
 * owned instance may be a live pod, so only `dryRun` is allowed then.
 */
export async function sweep(options: SweepOptions): Promise<SweepResult> {
  const { factory, context, out } = options;
  if (!factory.sweeper) throw new Error(`the ${factory.name} provider has no sweep`);
  if (!options.dryRun) await refuseIfServed(options.socketPath);
  const sweeper = await factory.sweeper(options.values, context);
  try {
    const now = options.now?.() ?? Date.now();
    const owned = await sweeper.listInstances(AbortSignal.timeout(120_000));
    const found = owned.filter((instance) => now - instance.createdAt.getTime() >= options.minAgeMs);
    const owner = `node ${context.owner.nodeName}${context.owner.clusterId ? `, cluster ${context.owner.clusterId}` : ''}`;
    out(
      `${found.length} pod VM(s) owned by ${owner}${options.minAgeMs > 0 ? ` and older than ${options.minAgeMs / 1000} s` : ''}`,
    );
    for (const instance of found) {
      const age = Math.round((now - instance.createdAt.getTime()) / 1000);
      out(
        `  ${instance.id}  ${instance.name || '(no name)'}  sandbox ${instance.sandboxId.slice(0, 12) || '?'}  ${age} s old`,
      );
    }
    if (options.dryRun) {
      if (found.length > 0) out('dry run: nothing deleted');
      return { found, deleted: [], failed: [] };
    }
    const results = await Promise.allSettled(
      found.map((instance) => sweeper.deleteInstance(instance.id, AbortSignal.timeout(600_000))),
    );
    const deleted: string[] = [];
    const failed: SweepResult['failed'] = [];
    results.forEach((result, index) => {
      const id = found[index]!.id;
      if (result.status === 'fulfilled') deleted.push(id);
      else failed.push({ id, error: (result.reason as Error).message });
    });
    out(`deleted ${deleted.length}${failed.length > 0 ? `, failed ${failed.length}` : ''}`);
    for (const failure of failed) out(`  ${failure.id}: ${failure.error}`);
    return { found, deleted, failed };
  } finally {
    await sweeper.teardown();
  }
}

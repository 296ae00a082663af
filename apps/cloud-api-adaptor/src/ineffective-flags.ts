import type { OptionSource } from '@peerpods/config';
import type { Logger } from '@peerpods/log';

/** Flags upstream has that this daemon accepts (so upstream's DaemonSets start) but does not act on yet. */
const INEFFECTIVE: ReadonlyArray<{ flag: string; why: string; evenByDefault?: boolean }> = [
  {
    flag: 'peerpods-limit-per-node',
    why: 'no limit is enforced until the Kubernetes integration (extended resource) lands',
    evenByDefault: true,
  },
  { flag: 'pod-subnet-cidrs', why: 'pod subnets are not routed through the pod VM yet' },
  { flag: 'ext-network-via-podvm', why: 'external traffic does not go through the pod VM yet' },
  { flag: 'enable-scratch-space', why: 'no scratch disk is attached to pod VMs yet' },
  { flag: 'pause-image', why: 'vestigial upstream as well: the pause image comes with the pod VM image' },
];

/** One warning per accepted-but-ignored flag the operator set (or whose default promises something). */
export function warnIneffectiveFlags(sources: Readonly<Record<string, OptionSource>>, log: Logger): void {
  for (const { flag, why, evenByDefault } of INEFFECTIVE) {
    const source = sources[flag];
    if (source === undefined || (source === 'default' && !evenByDefault)) continue;
    const how = source === 'default' ? 'its default' : source === 'env' ? 'set by its env var' : 'set';
    log.warn(`-${flag} (${how}) has no effect in this version: ${why}`);
  }
}

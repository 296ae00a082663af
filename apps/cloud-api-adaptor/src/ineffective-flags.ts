import type { OptionSource } from '@peerpods/config';
import type { Logger } from '@peerpods/log';

/** Flags upstream has that this daemon accepts (so upstream's DaemonSets start) but does not act on yet. */
const INEFFECTIVE: ReadonlyArray<{ flag: string; why: string }> = [
  { flag: 'pod-subnet-cidrs', why: 'pod subnets are not routed through the pod VM yet' },
  { flag: 'ext-network-via-podvm', why: 'external traffic does not go through the pod VM yet' },
  { flag: 'enable-scratch-space', why: 'no scratch disk is attached to pod VMs yet' },
  { flag: 'pause-image', why: 'vestigial upstream as well: the pause image comes with the pod VM image' },
];

/** One warning per accepted-but-ignored flag the operator set. */
export function warnIneffectiveFlags(sources: Readonly<Record<string, OptionSource>>, log: Logger): void {
  for (const { flag, why } of INEFFECTIVE) {
    const source = sources[flag];
    if (source === undefined || source === 'default') continue;
    const how = source === 'env' ? 'set by its env var' : 'set';
    log.warn(`-${flag} (${how}) has no effect in this version: ${why}`);
  }
}

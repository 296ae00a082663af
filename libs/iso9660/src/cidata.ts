import { buildIso } from './image';

/**
 * A NoCloud seed as upstream's libvirt provider attaches it: volume id `cidata` and exactly the files
 * `user-data`, `meta-data` (`local-hostname: <name>`) and an empty `vendor-data`. process-user-data
 * (the pod VM's unit mounts it) and cloud-init both read it.
 */
export function cidataIso(userData: string, hostname: string, date?: Date): Buffer {
  return buildIso(
    [
      { name: 'user-data', content: userData },
      { name: 'meta-data', content: `local-hostname: ${hostname}\n` },
      { name: 'vendor-data', content: '' },
    ],
    { volumeId: 'cidata', date },
  );
}

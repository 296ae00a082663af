import { readFile } from 'node:fs/promises';
import type { agent } from '@peerpods/protocols';

const DEFAULT_MEM_BLOCK_SIZE = 128n * 1024n * 1024n;

/** The kernel's memory hotplug block size (a hex number in sysfs), or 128 MiB where there is none. */
export async function memBlockSizeBytes(
  path = '/sys/devices/system/memory/block_size_bytes',
): Promise<bigint> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return /^[0-9a-fA-F]+$/.test(text) ? BigInt(`0x${text}`) : DEFAULT_MEM_BLOCK_SIZE;
  } catch {
    return DEFAULT_MEM_BLOCK_SIZE;
  }
}

/** GetGuestDetails: no seccomp, no init daemon, no device or storage handlers, no hotplug probing. */
export async function guestDetails(agentVersion: string): Promise<agent.GuestDetailsResponse> {
  return {
    memBlockSizeBytes: await memBlockSizeBytes(),
    agentDetails: {
      version: agentVersion,
      initDaemon: false,
      deviceHandlers: [],
      storageHandlers: [],
      supportsSeccomp: false,
      extraFeatures: [],
    },
    supportMemHotplugProbe: false,
  };
}

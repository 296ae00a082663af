import type { OptionValues } from '@peerpods/config';
import { parseLibvirtUri } from '@peerpods/libvirt-rpc';

/** The libvirt provider's configuration, typed and checked. */
export interface LibvirtSettings {
  uri: string;
  poolName: string;
  networkName: string;
  volumeName: string;
  launchSecurity: '' | 's390-pv';
  firmware: string;
  vcpus: number;
  memoryMiB: number;
  cpuset: string;
  rootDiskGiB: number;
}

const text = (values: OptionValues, flag: string) => String(values[flag] ?? '').trim();

const CPUSET = /^(\d+(-\d+)?)(,\d+(-\d+)?)*$/;

/** Reads the options, with upstream's checks; a bad value is an error naming its flag and variable. */
export function libvirtSettings(values: OptionValues): LibvirtSettings {
  const required = (flag: string, env: string): string => {
    const value = text(values, flag);
    if (value === '') throw new Error(`-${flag} (${env}) must not be empty`);
    return value;
  };
  const uri = required('uri', 'LIBVIRT_URI');
  parseLibvirtUri(uri);
  const positive = (flag: string, env: string): number => {
    const value = Number(values[flag]);
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`-${flag} (${env}) must be a positive whole number, not ${values[flag]}`);
    return value;
  };
  const cpuset = text(values, 'cpuset');
  if (cpuset !== '' && !CPUSET.test(cpuset)) {
    throw new Error(
      `invalid -cpuset (LIBVIRT_CPUSET) ${JSON.stringify(cpuset)}: expected CPU numbers and ranges such as 0-3,8`,
    );
  }
  const launchSecurity = text(values, 'launch-security');
  if (launchSecurity !== '' && launchSecurity !== 's390-pv') {
    throw new Error(
      `invalid -launch-security (LIBVIRT_LAUNCH_SECURITY) ${JSON.stringify(launchSecurity)}: only s390-pv is known`,
    );
  }
  const rootDisk = Number(values['root-disk-size']);
  if (!Number.isInteger(rootDisk) || rootDisk < 0) {
    throw new Error(
      `invalid -root-disk-size (LIBVIRT_ROOT_DISK_SIZE) ${values['root-disk-size']}: GiB, 0 or more`,
    );
  }
  return {
    uri,
    poolName: required('pool-name', 'LIBVIRT_POOL'),
    networkName: required('network-name', 'LIBVIRT_NET'),
    volumeName: required('vol-name', 'LIBVIRT_VOL_NAME'),
    launchSecurity: launchSecurity as LibvirtSettings['launchSecurity'],
    firmware: text(values, 'firmware'),
    vcpus: positive('cpu', 'LIBVIRT_CPU'),
    memoryMiB: positive('memory', 'LIBVIRT_MEMORY'),
    cpuset,
    // Upstream: 0 means the default.
    rootDiskGiB: rootDisk === 0 ? 10 : rootDisk,
  };
}

import { detectIptables, type Iptables, namedNetnsPath } from '@peerpods/netops';

/** The link-local address every cloud serves its instance metadata on. */
export const METADATA_ADDRESS = '169.254.169.254';

let iptables: Promise<Iptables> | undefined;

/**
 * Inside the pod VM's namespace, TCP to 169.254.169.254:80 goes to `target` instead (a fake cloud's
 * metadata server on the bridge), so process-user-data fetches from the address it would use on that
 * cloud. The rule lives in the VM's namespace and goes with it; nothing outside is touched.
 */
export async function redirectMetadata(
  vmNetns: string,
  target: { address: string; port: number },
): Promise<void> {
  iptables ??= detectIptables();
  const tables = await iptables.catch((error: unknown) => {
    iptables = undefined;
    throw error;
  });
  await tables.exec(
    'nat',
    [
      '-A',
      'OUTPUT',
      '-d',
      `${METADATA_ADDRESS}/32`,
      '-p',
      'tcp',
      '--dport',
      '80',
      '-j',
      'DNAT',
      '--to-destination',
      `${target.address}:${target.port}`,
    ],
    { netns: namedNetnsPath(vmNetns) },
  );
}

import { chmod, copyFile, lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { EmbeddedFile } from '@peerpods/cli';
import { runCommand } from './command';
import type { ProviderProfile } from './provider-profiles';

/** Our single-executable binaries, by their name in /usr/local/bin. */
export const POD_VM_BINARIES = ['process-user-data', 'agent-protocol-forwarder', 'peerpod-tunnel'] as const;

/** Units enabled in every image: the network, and the boot chain (user-data, agent, forwarder). */
const ENABLED_UNITS = [
  'systemd-networkd.service',
  'systemd-networkd-wait-online.service',
  'process-user-data.service',
  'kata-agent.service',
  'agent-protocol-forwarder.path',
];

export const DEV_VARIANT_ID = 'peerpods-dev';

export interface TreeInputs {
  /** The working copy of the root filesystem. */
  root: string;
  /** images/podvm, as embedded in the binary or read from the source tree. */
  inputs: readonly EmbeddedFile[];
  profile: ProviderProfile;
  /** Directory holding our binaries (process-user-data, ...; dev-agent unless `agent` is set). */
  binDir: string;
  /** A real kata-agent; absent: the dev-agent, and the image is labelled a development image. */
  agent?: string;
}

async function writeInputs(root: string, inputs: readonly EmbeddedFile[], prefix: string): Promise<number> {
  let count = 0;
  for (const file of inputs) {
    if (!file.path.startsWith(prefix)) continue;
    const target = join(root, file.path.slice(prefix.length));
    await mkdir(dirname(target), { recursive: true });
    await rm(target, { force: true });
    await writeFile(target, file.content);
    await chmod(target, file.mode & 0o111 ? 0o755 : 0o644);
    count += 1;
  }
  return count;
}

async function installBinary(source: string, target: string): Promise<void> {
  try {
    await copyFile(source, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`binary ${source} does not exist: run \`npm run build\`, or pass --bin-dir`);
    }
    throw error;
  }
  await chmod(target, 0o755);
}

/** /etc/os-release with the image's variant, so anyone can tell a development image from another. */
async function labelOsRelease(root: string, development: boolean): Promise<void> {
  const path = join(root, 'etc/os-release');
  const base = await readFile(join(root, 'usr/lib/os-release'), 'utf8');
  const variant = development
    ? `VARIANT="peer pods DEVELOPMENT image: dev-agent runs containers with NO isolation; never use in production"\nVARIANT_ID=${DEV_VARIANT_ID}\n`
    : 'VARIANT="peer pods pod VM"\nVARIANT_ID=peerpods\n';
  // /etc/os-release is a link to /usr/lib/os-release in Debian; the image gets its own file.
  await rm(path, { force: true });
  await writeFile(path, `${base.replace(/^VARIANT(_ID)?=.*\n/gm, '')}${variant}`);
}

/** Turns a debootstrapped tree into the pod VM's root: config, units, binaries, agent. */
export async function populateTree(options: TreeInputs): Promise<{ development: boolean; files: number }> {
  const { root, inputs, profile } = options;
  let files = await writeInputs(root, inputs, 'rootfs/');
  if (profile.metadata === 'cidata') files += await writeInputs(root, inputs, 'metadata/cidata/');
  const development = options.agent === undefined;
  if (development) files += await writeInputs(root, inputs, 'variants/dev/');

  await mkdir(join(root, 'usr/local/bin'), { recursive: true });
  for (const name of POD_VM_BINARIES)
    await installBinary(join(options.binDir, name), join(root, 'usr/local/bin', name));
  if (options.agent !== undefined) await installBinary(options.agent, join(root, 'usr/local/bin/kata-agent'));
  else await installBinary(join(options.binDir, 'dev-agent'), join(root, 'usr/local/bin/dev-agent'));

  await symlinkFresh('/run/peerpod/policy.rego', join(root, 'etc/kata-opa/default-policy.rego'));
  await labelOsRelease(root, development);
  await writeFile(join(root, 'etc/hostname'), 'podvm\n');
  await writeFile(
    join(root, 'etc/hosts'),
    '127.0.0.1\tlocalhost\n127.0.1.1\tpodvm\n::1\tlocalhost ip6-localhost ip6-loopback\n',
  );
  await writeFile(join(root, 'etc/fstab'), 'LABEL=podvm-root / ext4 defaults,errors=remount-ro 0 1\n');
  // Empty: systemd makes a fresh id at each VM's first boot, so no two pod VMs share one.
  await writeFile(join(root, 'etc/machine-id'), '');
  await rm(join(root, 'var/lib/dbus/machine-id'), { force: true });
  // ldconfig's cache of what it scanned records the build machine's inode numbers and times: the one
  // file that made two builds of the same inputs differ. ldconfig makes it again when it needs it.
  await rm(join(root, 'var/cache/ldconfig/aux-cache'), { force: true });
  await runCommand(['chroot', root, 'systemctl', 'enable', '--quiet', ...ENABLED_UNITS]);
  // Each binary must start inside the image (its shared libraries are there), not only on this host.
  for (const name of [...POD_VM_BINARIES, ...(development ? ['dev-agent'] : [])]) {
    await runCommand(['chroot', root, `/usr/local/bin/${name}`, '--version']);
  }
  return { development, files };
}

async function symlinkFresh(target: string, path: string): Promise<void> {
  try {
    await lstat(path);
    await rm(path);
  } catch {
    // absent
  }
  await mkdir(dirname(path), { recursive: true });
  await symlink(target, path);
}

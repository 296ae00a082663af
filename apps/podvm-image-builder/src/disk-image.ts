import { cp, mkdir, open, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bootArea, PARTITION_OFFSET } from './boot-sector';
import { runCommand } from './command';
import { type DiskFormat, qemuImgTarget } from './provider-profiles';

export const ROOT_LABEL = 'podvm-root';
const MiB = 1024 * 1024;

/** The kernel release the tree's /boot holds (Debian's cloud kernel: one). */
export async function kernelRelease(root: string): Promise<string> {
  const releases = (await readdir(join(root, 'boot')))
    .map((name) => /^vmlinuz-(.+)$/.exec(name)?.[1])
    .filter((release): release is string => release !== undefined)
    .sort();
  const release = releases.at(-1);
  if (!release)
    throw new Error(`no kernel in ${join(root, 'boot')}: the rootfs lacks linux-image-cloud-amd64`);
  return release;
}

/**
 * GRUB's configuration: boot the kernel at once, root by label, with the console the cloud shows
 * and `net.ifnames=0` (the units configure eth0).
 */
export function grubConfig(release: string, console: string): string {
  const args = [
    `root=LABEL=${ROOT_LABEL}`,
    'ro',
    console,
    'net.ifnames=0',
    'panic=-1',
    // Unit status on the console: the one view of a pod VM's boot a cloud always gives.
    'systemd.show_status=true',
  ];
  return [
    'set timeout=0',
    `linux /boot/vmlinuz-${release} ${args.join(' ')}`,
    `initrd /boot/initrd.img-${release}`,
    'boot',
    '',
  ].join('\n');
}

/** Writes /boot/grub and returns core.img, made by the tree's own grub-mkimage. */
export async function prepareBootloader(
  root: string,
  console: string,
): Promise<{ coreImg: Buffer; bootImg: Buffer; release: string }> {
  const release = await kernelRelease(root);
  const grubDir = join(root, 'boot/grub');
  await mkdir(grubDir, { recursive: true });
  await writeFile(join(grubDir, 'grub.cfg'), grubConfig(release, console));
  await cp(join(root, 'usr/lib/grub/i386-pc'), join(grubDir, 'i386-pc'), { recursive: true });
  const coreInTree = '/tmp/podvm-core.img';
  // The prefix names partition 1 of the boot disk; the modules read an MBR and ext4, and boot Linux.
  await runCommand([
    'chroot',
    root,
    'grub-mkimage',
    '-O',
    'i386-pc',
    '-o',
    coreInTree,
    '-p',
    '(hd0,msdos1)/boot/grub',
    'biosdisk',
    'part_msdos',
    'ext2',
    'normal',
    'linux',
    'configfile',
    'gzio',
  ]);
  const coreImg = await readFile(join(root, coreInTree));
  await rm(join(root, coreInTree));
  const bootImg = await readFile(join(root, 'usr/lib/grub/i386-pc/boot.img'));
  return { coreImg, bootImg, release };
}

/** Room for the tree plus a margin for logs and the agent's scratch files, in whole 64 MiB steps. */
export function diskSizeFor(treeBytes: number): number {
  const wanted = PARTITION_OFFSET + treeBytes * 1.15 + 256 * MiB;
  return Math.ceil(wanted / (64 * MiB)) * 64 * MiB;
}

export interface RawDiskOptions {
  root: string;
  output: string;
  diskBytes: number;
  /** Fixed, so the same inputs give the same filesystem. */
  uuid: string;
  bootImg: Buffer;
  coreImg: Buffer;
  /** SOURCE_DATE_EPOCH: the filesystem's own timestamps. */
  epoch?: number;
}

/**
 * A raw disk: an ext4 filesystem made straight from the tree (mke2fs -d, at the partition's offset
 * inside the file), then the boot area written in front of it. No loop device, no mount.
 */
export async function writeRawDisk(options: RawDiskOptions): Promise<void> {
  const { output, diskBytes } = options;
  await rm(output, { force: true });
  await writeFile(output, '');
  await truncate(output, diskBytes);
  const fsBytes = diskBytes - PARTITION_OFFSET;
  const env = {
    ...process.env,
    ...(options.epoch === undefined ? {} : { E2FSPROGS_FAKE_TIME: String(options.epoch) }),
  };
  await runCommand(
    [
      'mkfs.ext4',
      '-F',
      '-q',
      '-L',
      ROOT_LABEL,
      '-U',
      options.uuid,
      '-E',
      `offset=${PARTITION_OFFSET},hash_seed=${options.uuid},root_owner=0:0`,
      '-d',
      options.root,
      output,
      `${fsBytes / 1024}k`,
    ],
    { env },
  );
  const file = await open(output, 'r+');
  try {
    const area = bootArea({
      bootImg: options.bootImg,
      coreImg: options.coreImg,
      diskBytes,
      diskSignature: Number.parseInt(options.uuid.replaceAll('-', '').slice(0, 8), 16),
    });
    // The filesystem starts at PARTITION_OFFSET; the area ends exactly there.
    await file.write(area, 0, area.length, 0);
  } finally {
    await file.close();
  }
}

/** The raw disk in the cloud's format (`raw`: moved as it is). */
export async function convertDisk(raw: string, output: string, format: DiskFormat): Promise<void> {
  const target = qemuImgTarget(format);
  await rm(output, { force: true });
  await runCommand(['qemu-img', 'convert', '-f', 'raw', '-O', target.format, ...target.options, raw, output]);
}

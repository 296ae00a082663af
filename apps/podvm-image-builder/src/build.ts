import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { cp, mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { EmbeddedFile } from '@peerpods/cli';
import { configuredMirror } from './apt-mirror';
import { runCommand } from './command';
import { convertDisk, diskSizeFor, prepareBootloader, writeRawDisk } from './disk-image';
import { POD_VM_BINARIES, populateTree } from './image-tree';
import { unmountAllUnder } from './mounts';
import { PhaseRunner, type PhaseTiming } from './phases';
import { type DiskFormat, PROVIDER_PROFILES, type ProviderName } from './provider-profiles';
import { cachedRootfs, ROOTFS_PACKAGES, rootfsCacheKey } from './rootfs-cache';
import { formatMiB, type SizeLine, sizeReport, treeBytes } from './size-report';

export interface BuildRequest {
  provider: ProviderName;
  output: string;
  format: DiskFormat;
  release: string;
  cacheDir: string;
  binDir: string;
  agent?: string;
  mirror?: string;
  /** images/podvm: units and configuration. */
  inputs: readonly EmbeddedFile[];
  /** SOURCE_DATE_EPOCH, for the filesystem's own timestamps. */
  epoch?: number;
  progress: (line: string) => void;
  signal?: AbortSignal;
}

export interface BuildResult {
  output: string;
  outputBytes: number;
  diskBytes: number;
  development: boolean;
  rootfsCached: boolean;
  timings: PhaseTiming[];
  sizes: SizeLine[];
}

const TOOLS = ['debootstrap', 'mkfs.ext4', 'qemu-img', 'chroot', 'umount'];

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A UUID derived from everything that goes into the image: same inputs, same filesystem id. */
export function uuidFrom(digest: string): string {
  const hex = digest.slice(0, 32).split('');
  hex[12] = '4';
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const text = hex.join('');
  return `${text.slice(0, 8)}-${text.slice(8, 12)}-${text.slice(12, 16)}-${text.slice(16, 20)}-${text.slice(20)}`;
}

/** Builds one pod VM image. Root only: debootstrap and chroot need it. */
export async function buildImage(request: BuildRequest): Promise<BuildResult> {
  if (process.getuid?.() !== 0) {
    throw new Error('podvm-image-builder build must run as root: debootstrap and chroot need it');
  }
  const profile = PROVIDER_PROFILES[request.provider];
  const output = resolve(request.output);
  const phases = new PhaseRunner(7, request.progress);
  await mkdir(request.cacheDir, { recursive: true });
  const work = await mkdtemp(join(request.cacheDir, 'work-'));
  const root = join(work, 'root');
  const raw = join(work, 'disk.raw');
  try {
    await phases.run('check', 'tools, inputs and binaries', async (note) => {
      for (const tool of TOOLS) {
        await runCommand(['sh', '-c', `command -v ${tool}`]).catch(() => {
          throw new Error(
            `${tool} is not installed (apt-get install -y debootstrap e2fsprogs qemu-utils coreutils mount)`,
          );
        });
      }
      await mkdir(dirname(output), { recursive: true });
      note(`${request.provider}: ${profile.summary}`);
    });

    const mirror = request.mirror ?? (await configuredMirror(request.release));
    const rootfsInputs = { release: request.release, mirror, packages: ROOTFS_PACKAGES };
    const rootfs = await phases.run(
      'rootfs',
      `Debian ${request.release} minbase from ${mirror}`,
      async (note) => {
        const result = await cachedRootfs(
          request.cacheDir,
          rootfsInputs,
          (line) => {
            if (/^I: (Retrieving|Validating|Extracting|Installing|Configuring|Unpacking) /.test(line)) return;
            if (line.startsWith('I: ')) request.progress(`    ${line.slice(3)}`);
          },
          request.signal,
        );
        note(result.cached ? `cached: ${result.dir}` : `debootstrapped into the cache: ${result.dir}`);
        return result;
      },
    );

    const populated = await phases.run(
      'content',
      'units, configuration, binaries and the agent',
      async (note) => {
        // GNU cp: device nodes, hard links and extended attributes as they are (node's fs.cp has none of them).
        await runCommand(['cp', '-a', '--reflink=auto', rootfs.dir, root]);
        await rm(join(root, '.complete'), { force: true });
        const result = await populateTree({
          root,
          inputs: request.inputs,
          profile,
          binDir: request.binDir,
          agent: request.agent,
        });
        note(result.development ? 'DEVELOPMENT image: dev-agent' : `kata-agent from ${request.agent}`);
        return result;
      },
    );

    const boot = await phases.run('bootloader', 'GRUB (BIOS) and the kernel command line', async (note) => {
      const result = await prepareBootloader(root, profile.console);
      note(`kernel ${result.release}`);
      return result;
    });

    const sizes = await sizeReport(root, [
      {
        what: 'our binaries (each a Node single executable)',
        paths: POD_VM_BINARIES.map((name) => `usr/local/bin/${name}`),
      },
      {
        what: populated.development ? 'dev-agent' : 'kata-agent',
        paths: ['usr/local/bin/dev-agent', 'usr/local/bin/kata-agent'],
      },
      { what: 'kernel modules', paths: ['usr/lib/modules'] },
      {
        what: 'kernel and initramfs',
        paths: [`boot/vmlinuz-${boot.release}`, `boot/initrd.img-${boot.release}`],
      },
      { what: 'GRUB', paths: ['usr/lib/grub', 'boot/grub', 'usr/share/grub'] },
    ]);

    const digestInputs = createHash('sha256').update(rootfsCacheKey(rootfsInputs)).update(request.provider);
    for (const file of request.inputs) digestInputs.update(file.path).update(file.content);
    for (const name of POD_VM_BINARIES) digestInputs.update(await sha256File(join(request.binDir, name)));
    digestInputs.update(await sha256File(request.agent ?? join(request.binDir, 'dev-agent')));
    const uuid = uuidFrom(digestInputs.digest('hex'));

    const diskBytes = diskSizeFor(await treeBytes(root));
    await phases.run(
      'filesystem',
      `ext4 ${formatMiB(diskBytes)} disk (mke2fs -d, no loop device)`,
      async (note) => {
        await writeRawDisk({
          root,
          output: raw,
          diskBytes,
          uuid,
          bootImg: boot.bootImg,
          coreImg: boot.coreImg,
          epoch: request.epoch,
        });
        note(`filesystem ${uuid}`);
      },
    );

    await phases.run('convert', `to ${request.format}`, async () => {
      const partial = `${output}.partial-${process.pid}`;
      try {
        if (request.format === 'raw') await cp(raw, partial);
        else await convertDisk(raw, partial, request.format);
        await rename(partial, output);
      } finally {
        await rm(partial, { force: true });
      }
    });

    const outputBytes = (await stat(output)).size;
    await phases.run('report', 'sizes', async (note) => {
      for (const line of sizes) request.progress(`    ${formatMiB(line.bytes).padStart(11)}  ${line.what}`);
      note(`${output}: ${formatMiB(outputBytes)} (${request.format}), disk ${formatMiB(diskBytes)}`);
    });
    return {
      output,
      outputBytes,
      diskBytes,
      development: populated.development,
      rootfsCached: rootfs.cached,
      timings: phases.timings,
      sizes,
    };
  } finally {
    await unmountAllUnder(work).catch(() => []);
    await rm(work, { recursive: true, force: true });
  }
}

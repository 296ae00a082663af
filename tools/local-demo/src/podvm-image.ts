import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Where built images are kept between runs, next to the builder's debootstrap cache. */
export const IMAGE_CACHE = '/var/cache/podvm-image-builder/images';

// What goes into the image: the builder (its units and config are embedded) and the binaries it packs.
const IMAGE_INPUTS = [
  'podvm-image-builder',
  'process-user-data',
  'agent-protocol-forwarder',
  'peerpod-tunnel',
  'dev-agent',
];

export interface BuiltImage {
  path: string;
  /** False when a previous run's image was reused. */
  built: boolean;
  ms: number;
}

async function inputsHash(binDir: string): Promise<string> {
  const hash = createHash('sha256');
  for (const name of IMAGE_INPUTS) {
    hash.update(`${name}\n`);
    for await (const chunk of createReadStream(join(binDir, name))) hash.update(chunk as Buffer);
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A libvirt pod VM image (qcow2, dev-agent) built with dist/bin's podvm-image-builder, reused while
 * the binaries that go into it are unchanged. Older cached images are removed. `onLine` gets the
 * builder's progress lines.
 */
export async function podvmImage(
  binDir: string,
  onLine: (line: string) => void = () => {},
): Promise<BuiltImage> {
  const started = Date.now();
  const path = join(IMAGE_CACHE, `podvm-libvirt-${await inputsHash(binDir)}.qcow2`);
  if (
    await stat(path).then(
      () => true,
      () => false,
    )
  )
    return { path, built: false, ms: Date.now() - started };
  await mkdir(IMAGE_CACHE, { recursive: true });
  for (const old of await readdir(IMAGE_CACHE)) {
    if (old.startsWith('podvm-libvirt-')) await rm(join(IMAGE_CACHE, old), { force: true });
  }
  const partial = `${path}.partial`;
  try {
    await buildPodvmImage(binDir, partial, { onLine });
    await rename(partial, path);
  } finally {
    await rm(partial, { force: true });
  }
  return { path, built: true, ms: Date.now() - started };
}

export interface BuildOptions {
  /** The builder's cache (`--cache`); default its own. */
  cache?: string;
  onLine?: (line: string) => void;
}

/** Runs dist/bin's podvm-image-builder for a libvirt qcow2 image with a fixed SOURCE_DATE_EPOCH. */
export function buildPodvmImage(binDir: string, output: string, options: BuildOptions = {}): Promise<void> {
  const onLine = options.onLine ?? (() => {});
  return new Promise<void>((resolve, reject) => {
    const child = spawn(
      join(binDir, 'podvm-image-builder'),
      [
        'build',
        '--provider',
        'libvirt',
        '--format',
        'qcow2',
        '--output',
        output,
        '--bin-dir',
        binDir,
        ...(options.cache ? ['--cache', options.cache] : []),
      ],
      // A fixed epoch: the same inputs make the same image.
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SOURCE_DATE_EPOCH: '1780000000' } },
    );
    let collected = '';
    let pending = '';
    const onData = (chunk: Buffer) => {
      collected += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`podvm-image-builder exited with ${code ?? signal}:\n${collected.slice(-3000)}`)),
    );
  });
}

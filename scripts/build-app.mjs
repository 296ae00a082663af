#!/usr/bin/env node
// Bundles one app (the current directory) into a single CommonJS file for the pinned Node runtime.
// Usage, from an app's folder: node ../../scripts/build-app.mjs
// Output: dist/<binary>.cjs, where <binary> is package.json "peerpods.binary" (or the unscoped name).
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const binary = pkg.peerpods?.binary ?? pkg.name.split('/').pop();

function gitCommit() {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return dirty.trim() ? `${commit}-dirty` : commit;
  } catch {
    return 'unknown';
  }
}

// Lazily loaded chunks (package.json "peerpods.chunks": name → module specifier): each is bundled on
// its own and embedded compressed by make-sea.mjs, and stays out of the main bundle. Modules in
// SHARED_WITH_CHUNKS are not copied into chunks: at run time they get the main bundle's instances.
const SHARED_WITH_CHUNKS = ['@peerpods/providers'];
const chunks = Object.entries(pkg.peerpods?.chunks ?? {});
const common = {
  bundle: true,
  platform: 'node',
  target: 'node26',
  format: 'cjs',
  // The SEA runs CommonJS; everything but node built-ins must be inside it.
  packages: 'bundle',
  define: { __PEERPODS_COMMIT__: JSON.stringify(gitCommit()) },
  // debug's optional colour probe; not wanted in daemons and not bundleable as a real module.
  alias: { 'supports-color': 'node:os' },
  legalComments: 'none',
  // Smaller bundle and code cache (each binary must stay under 120 MB); names kept for stack traces.
  minify: true,
  keepNames: true,
  sourcemap: false,
  logLevel: 'warning',
  metafile: true,
};
const requireFromApp = createRequire(join(process.cwd(), 'package.json'));
rmSync('dist/chunks', { recursive: true, force: true });
for (const [name, specifier] of chunks) {
  const chunk = await build({
    ...common,
    entryPoints: [requireFromApp.resolve(specifier)],
    outfile: `dist/chunks/${name}.cjs`,
    external: SHARED_WITH_CHUNKS,
  });
  const chunkBytes = Object.values(chunk.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`bundled chunk ${name}: dist/chunks/${name}.cjs (${(chunkBytes / 1024).toFixed(0)} KiB)`);
}

const result = await build({
  entryPoints: ['src/main.ts'],
  ...common,
  outfile: `dist/${binary}.cjs`,
  external: chunks.map(([, specifier]) => specifier),
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`bundled ${binary}: dist/${binary}.cjs (${(bytes / 1024).toFixed(0)} KiB)`);

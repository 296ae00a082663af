#!/usr/bin/env node
// Bundles one app (the current directory) into a single CommonJS file for the pinned Node runtime.
// Usage, from an app's folder: node ../../scripts/build-app.mjs
// Output: dist/<binary>.cjs, where <binary> is package.json "peerpods.binary" (or the unscoped name).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

const result = await build({
  entryPoints: ['src/main.ts'],
  outfile: `dist/${binary}.cjs`,
  bundle: true,
  platform: 'node',
  target: 'node26',
  format: 'cjs',
  // The SEA runs one CommonJS file; everything but node built-ins must be inside it.
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
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
console.log(`bundled ${binary}: dist/${binary}.cjs (${(bytes / 1024).toFixed(0)} KiB)`);

#!/usr/bin/env node
// Turns a CommonJS bundle into a Node single executable application (SEA).
// Usage: node scripts/make-sea.mjs <bundle.cjs> <output-binary>
// Steps: sea-config (code cache, no experimental warning) → blob → copy of a stripped node → postject.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// The sentinel Node 20 looks for to decide whether a blob was injected.
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const [bundleArg, outputArg] = process.argv.slice(2);
if (!bundleArg || !outputArg) {
  console.error('usage: make-sea.mjs <bundle.cjs> <output-binary>');
  process.exit(2);
}
const bundle = resolve(bundleArg);
const output = resolve(outputArg);
const workDir = join(dirname(bundle), 'sea');
mkdirSync(workDir, { recursive: true });
mkdirSync(dirname(output), { recursive: true });

// A stripped copy of this node, shared by all apps. Written under a unique name and renamed,
// so parallel builds never see a half-written file.
function strippedNode() {
  const cacheDir = join(workspaceRoot, 'dist', '.sea');
  const cached = join(cacheDir, `node-${process.version}-${process.arch}-stripped`);
  if (existsSync(cached)) return cached;
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${cached}.${process.pid}.partial`;
  execFileSync('strip', ['--strip-all', '-o', partial, process.execPath]);
  renameSync(partial, cached);
  return cached;
}

const blob = join(workDir, `${basename(output)}.blob`);
const configFile = join(workDir, 'sea-config.json');
writeFileSync(
  configFile,
  JSON.stringify(
    { main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true },
    null,
    2,
  ),
);
execFileSync(process.execPath, ['--experimental-sea-config', configFile], {
  stdio: ['ignore', 'ignore', 'inherit'],
});

const partialBinary = `${output}.${process.pid}.partial`;
copyFileSync(strippedNode(), partialBinary);
chmodSync(partialBinary, 0o755);
try {
  const { inject } = require('postject');
  // postject reports harmless ELF note warnings on stdout/stderr; keep the build log readable.
  const quiet = console.warn;
  console.warn = () => {};
  try {
    await inject(partialBinary, 'NODE_SEA_BLOB', readFileSync(blob), { sentinelFuse: SEA_FUSE });
  } finally {
    console.warn = quiet;
  }
  renameSync(partialBinary, output);
} catch (error) {
  rmSync(partialBinary, { force: true });
  throw error;
}
console.log(`single executable: ${output}`);

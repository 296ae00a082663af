// The generated code is committed (builds need no protoc); this test fails when it is stale.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';

const packageDir = resolve(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test('src/generated matches what the .proto files generate (run `npm run generate -w libs/protocols`)', () => {
  const out = mkdtempSync(join(tmpdir(), 'protocols-gen-'));
  try {
    const script = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')).scripts
      .generate as string;
    const args = script
      .split(' ')
      .slice(1)
      .map((arg) => (arg === 'src/generated' ? out : arg));
    execFileSync('node', args, { cwd: packageDir, stdio: ['ignore', 'ignore', 'inherit'] });
    const committedDir = join(packageDir, 'src/generated');
    const fresh = files(out)
      .map((path) => relative(out, path))
      .sort();
    const committed = files(committedDir)
      .map((path) => relative(committedDir, path))
      .sort();
    assert.deepEqual(committed, fresh, 'the set of generated files differs');
    for (const name of fresh) {
      assert.equal(
        readFileSync(join(committedDir, name), 'utf8'),
        readFileSync(join(out, name), 'utf8'),
        `${name} is stale`,
      );
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

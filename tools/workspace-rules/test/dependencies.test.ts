import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../../..');
const groups = ['apps', 'libs', 'tools'] as const;

interface Workspace {
  name: string;
  group: (typeof groups)[number];
  dir: string;
  /** Runtime dependencies on workspace packages. */
  deps: string[];
  /** Test-time ones (a lib may test against a tool, such as the Go interop peer). */
  devDeps: string[];
}

function workspaces(): Workspace[] {
  return groups.flatMap((group) =>
    readdirSync(join(root, group)).flatMap((folder) => {
      const dir = join(root, group, folder);
      const manifest = join(dir, 'package.json');
      if (!statSync(dir).isDirectory()) return [];
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      const ours = (record: Record<string, string> | undefined) =>
        Object.keys(record ?? {}).filter((d) => d.startsWith('@peerpods/'));
      return [
        { name: pkg.name, group, dir, deps: ours(pkg.dependencies), devDeps: ours(pkg.devDependencies) },
      ];
    }),
  );
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return ['node_modules', 'dist'].includes(entry.name) ? [] : sourceFiles(path);
    return /\.(ts|mts|cts|mjs|js)$/.test(entry.name) ? [path] : [];
  });
}

test('libs depend only on libs, and never on an app even for tests', () => {
  const all = workspaces();
  const groupOf = new Map(all.map((w) => [w.name, w.group]));
  const offending = all
    .filter((w) => w.group === 'libs')
    .flatMap((w) => [
      ...w.deps.filter((d) => groupOf.get(d) !== 'libs').map((d) => `${w.name} → ${d}`),
      ...w.devDeps.filter((d) => groupOf.get(d) === 'apps').map((d) => `${w.name} → ${d} (dev)`),
    ]);
  assert.deepEqual(offending, []);
});

test('the package graph has no cycle', () => {
  const all = new Map(workspaces().map((w) => [w.name, w]));
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]): void => {
    if (state.get(name) === 'done') return;
    assert.notEqual(state.get(name), 'visiting', `cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    for (const dep of [...(all.get(name)?.deps ?? []), ...(all.get(name)?.devDeps ?? [])])
      visit(dep, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of all.keys()) visit(name, []);
});

test('no source file reaches into another package by relative path', () => {
  const offending: string[] = [];
  for (const workspace of workspaces()) {
    for (const file of sourceFiles(workspace.dir)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(
        /(?:from\s+|import\s*\(\s*|require\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g,
      )) {
        const target = resolve(file, '..', match[1]!);
        if (!(target + sep).startsWith(workspace.dir + sep)) {
          offending.push(`${relative(root, file)} imports ${match[1]}`);
        }
      }
    }
  }
  assert.deepEqual(offending, []);
});

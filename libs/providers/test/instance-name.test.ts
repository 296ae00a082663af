import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceName } from '../src/instance-name';

const SANDBOX = '4f8c1e2a9b7d6c5e3f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e';

const cases: { name: string; pod: string; id: string; max?: number; want: string }[] = [
  { name: 'plain pod name', pod: 'nginx', id: SANDBOX, want: 'podvm-nginx-4f8c1e2a' },
  {
    name: 'deployment pod name keeps its dashes',
    pod: 'nginx-866fdb5bfb-b98nw',
    id: SANDBOX,
    want: 'podvm-nginx-866fdb5bfb-b98nw-4f8c1e2a',
  },
  { name: 'upper case is lowered', pod: 'MyPod', id: 'ABCDEF0123456789', want: 'podvm-mypod-abcdef01' },
  { name: 'dots become dashes', pod: 'web.v1.example', id: SANDBOX, want: 'podvm-web-v1-example-4f8c1e2a' },
  { name: 'underscores become dashes', pod: 'my_pod__x', id: SANDBOX, want: 'podvm-my-pod--x-4f8c1e2a' },
  { name: 'id characters are sanitised too', pod: 'p', id: 'a.B_c:d/e', want: 'podvm-p-a-b-c-d-' },
  { name: 'short id is used whole', pod: 'p', id: 'abc', want: 'podvm-p-abc' },
  { name: 'empty id', pod: 'p', id: '', want: 'podvm-p-' },
  { name: 'non-ASCII is one dash per character', pod: 'pöd€', id: SANDBOX, want: 'podvm-p-d--4f8c1e2a' },
  {
    name: 'pod part is cut to 48 characters for 63',
    pod: `${'a'.repeat(47)}bcdefgh`,
    id: SANDBOX,
    want: `podvm-${'a'.repeat(47)}b-4f8c1e2a`,
  },
  {
    name: 'a 48-character pod name is kept whole',
    pod: 'x'.repeat(48),
    id: SANDBOX,
    want: `podvm-${'x'.repeat(48)}-4f8c1e2a`,
  },
  {
    name: 'cut happens after sanitising, and a trailing dash survives',
    pod: `${'q'.repeat(47)}.tail`,
    id: SANDBOX,
    want: `podvm-${'q'.repeat(47)}--4f8c1e2a`,
  },
  {
    name: 'PowerVS limit 47 leaves 32',
    pod: 'z'.repeat(40),
    id: SANDBOX,
    max: 47,
    want: `podvm-${'z'.repeat(32)}-4f8c1e2a`,
  },
  {
    name: 'a limit below the fixed part leaves no pod part',
    pod: 'nginx',
    id: SANDBOX,
    max: 10,
    want: 'podvm--4f8c1e2a',
  },
];

for (const c of cases) {
  test(`instanceName: ${c.name}`, () => {
    const got = instanceName(c.pod, c.id, c.max);
    assert.equal(got, c.want);
    if (c.pod.length >= 48 && c.max === undefined) assert.equal(got.length, 63);
  });
}

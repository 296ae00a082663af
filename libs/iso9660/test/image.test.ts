import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { buildIso, cidataIso } from '../src/index';

const DATE = new Date('2026-12-06T12:00:00Z');
const USER_DATA =
  '#cloud-config\n\nwrite_files:\n  - path: /run/peerpod/apf.json\n    content: |\n      {"pod-network":{}}\n';

test('the volume descriptors: primary, Joliet (UCS-2 level 3), terminator; sizes in whole sectors', () => {
  const iso = cidataIso(USER_DATA, 'podvm-web-0123abcd', DATE);
  assert.equal(iso.length % 2048, 0);
  const at = (sector: number) => iso.subarray(sector * 2048, sector * 2048 + 2048);
  assert.equal(at(16)[0], 1);
  assert.equal(at(16).toString('latin1', 1, 6), 'CD001');
  assert.equal(at(16).toString('latin1', 40, 72).trimEnd(), 'cidata');
  assert.equal(at(16).readUInt32LE(80) * 2048, iso.length, 'volume space size');
  assert.equal(at(17)[0], 2);
  assert.equal(at(17).toString('latin1', 88, 91), '%/E');
  assert.equal(at(17).swap16().toString('utf16le', 40, 52), 'cidata');
  assert.equal(at(18)[0], 255);
  assert.ok(
    iso.subarray(0, 16 * 2048).every((byte) => byte === 0),
    'the system area is empty',
  );
});

test('reproducible: the same files and date give the same bytes', () => {
  assert.deepEqual(cidataIso(USER_DATA, 'a', DATE), cidataIso(USER_DATA, 'a', DATE));
});

test('bad names and volume ids are refused naming them', () => {
  assert.throws(
    () => buildIso([{ name: 'a/b', content: '' }], { volumeId: 'x' }),
    /ISO 9660 file name "a\/b"/,
  );
  assert.throws(
    () =>
      buildIso(
        [
          { name: 'a', content: '' },
          { name: 'a', content: '' },
        ],
        { volumeId: 'x' },
      ),
    /two files have the same name/,
  );
  assert.throws(() => buildIso([], { volumeId: '' }), /volume id ""/);
});

// This machine's kernel has no iso9660 driver, so the readers are blkid (libblkid), isoinfo
// (genisoimage) and bsdtar (libarchive); the pod VM's kernel reads the seed in the libvirt e2e.
test('blkid sees an iso9660 filesystem labelled cidata; isoinfo finds Joliet; bsdtar lists and reads the files by their names', () => {
  const dir = tempDir();
  const file = join(dir, 'seed.iso');
  writeFileSync(file, cidataIso(USER_DATA, 'podvm-web-0123abcd', DATE));
  const probe = execFileSync('blkid', ['-p', '-o', 'export', file], { encoding: 'utf8' });
  assert.match(probe, /^TYPE=iso9660$/m);
  assert.match(probe, /^LABEL=cidata$/m);
  const info = execFileSync('isoinfo', ['-d', '-i', file], { encoding: 'utf8' });
  assert.match(info, /^Volume id: cidata$/m);
  assert.match(info, /Joliet with UCS level 3 found/);
  assert.deepEqual(
    execFileSync('bsdtar', ['-tf', file], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter((name) => name !== '.')
      .sort(),
    ['meta-data', 'user-data', 'vendor-data'],
  );
  const read = (name: string) => execFileSync('bsdtar', ['-xOf', file, name], { encoding: 'utf8' });
  assert.equal(read('user-data'), USER_DATA);
  assert.equal(read('meta-data'), 'local-hostname: podvm-web-0123abcd\n');
  assert.equal(read('vendor-data'), '');
  assert.equal(
    execFileSync('isoinfo', ['-J', '-x', '/user-data', '-i', file], { encoding: 'utf8' }),
    USER_DATA,
  );
});

test('a file larger than one sector, and many files: every reader gets them whole', () => {
  const dir = tempDir();
  const file = join(dir, 'big.iso');
  const big = Buffer.alloc(70_000, 0x61);
  const files = [
    { name: 'big.bin', content: big },
    ...Array.from({ length: 20 }, (_, i) => ({ name: `file-${i}.txt`, content: `${i}\n` })),
  ];
  writeFileSync(file, buildIso(files, { volumeId: 'TEST', date: DATE }));
  const listed = execFileSync('bsdtar', ['-tf', file], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter((n) => n !== '.');
  assert.equal(listed.length, 21);
  assert.deepEqual(execFileSync('bsdtar', ['-xOf', file, 'big.bin']), big);
  assert.equal(
    execFileSync('isoinfo', ['-J', '-x', '/file-17.txt', '-i', file], { encoding: 'utf8' }),
    '17\n',
  );
  // The level-1 names, for readers without Joliet: 8.3, upper case, unique.
  assert.match(execFileSync('isoinfo', ['-l', '-i', file], { encoding: 'utf8' }), /FILE_17\.TXT;1/);
});

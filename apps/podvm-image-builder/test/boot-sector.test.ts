import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootArea, PARTITION_OFFSET } from '../src/boot-sector';

const bootImg = Buffer.alloc(512, 0xaa);
const coreImg = Buffer.alloc(3000, 0xcc);

test('the boot area holds boot.img code, one bootable Linux partition from 1 MiB, and core.img from sector 1', () => {
  const disk = 64 * 1024 * 1024;
  const area = bootArea({ bootImg, coreImg, diskBytes: disk, diskSignature: 0x12345678 });
  assert.equal(area.length, PARTITION_OFFSET);
  assert.ok(
    area.subarray(0, 440).every((byte) => byte === 0xaa),
    'boot code copied',
  );
  assert.equal(area.readUInt32LE(440), 0x12345678);
  assert.equal(area[446], 0x80, 'bootable');
  assert.equal(area[450], 0x83, 'Linux partition type');
  assert.equal(area.readUInt32LE(454), 2048, 'starts at sector 2048');
  assert.equal(area.readUInt32LE(458), disk / 512 - 2048, 'runs to the end of the disk');
  assert.ok(
    area.subarray(462, 510).every((byte) => byte === 0),
    'one partition only',
  );
  assert.deepEqual([...area.subarray(510, 512)], [0x55, 0xaa]);
  assert.ok(area.subarray(512, 512 + coreImg.length).equals(coreImg));
});

test('refuses what cannot boot: a wrong boot.img, a core.img too large for the gap, an odd disk size', () => {
  assert.throws(
    () => bootArea({ bootImg: Buffer.alloc(100), coreImg, diskBytes: 1 << 26, diskSignature: 1 }),
    /boot\.img must be 512 bytes/,
  );
  assert.throws(
    () =>
      bootArea({ bootImg, coreImg: Buffer.alloc(PARTITION_OFFSET), diskBytes: 1 << 26, diskSignature: 1 }),
    /core\.img is 1048576 bytes/,
  );
  assert.throws(
    () => bootArea({ bootImg, coreImg, diskBytes: (1 << 26) + 100, diskSignature: 1 }),
    /whole number of sectors/,
  );
});

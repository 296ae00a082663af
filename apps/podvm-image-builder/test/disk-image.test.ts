import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uuidFrom } from '../src/build';
import { diskSizeFor, grubConfig } from '../src/disk-image';

test('GRUB boots the kernel at once, root by label, with the console and net.ifnames=0', () => {
  const config = grubConfig('6.1.0-50-cloud-amd64', 'console=ttyS0');
  assert.match(config, /^set timeout=0$/m);
  assert.match(
    config,
    /^linux \/boot\/vmlinuz-6\.1\.0-50-cloud-amd64 root=LABEL=podvm-root ro console=ttyS0 net\.ifnames=0 /m,
  );
  assert.match(config, /^initrd \/boot\/initrd\.img-6\.1\.0-50-cloud-amd64$/m);
});

test('the disk leaves room beyond the tree, in 64 MiB steps', () => {
  const size = diskSizeFor(700 * 1024 * 1024);
  assert.equal(size % (64 * 1024 * 1024), 0);
  assert.ok(size > 700 * 1024 * 1024 * 1.15 + 256 * 1024 * 1024);
});

test('the filesystem id is a version-4 UUID fixed by the inputs', () => {
  const digest = 'f'.repeat(64);
  assert.equal(uuidFrom(digest), uuidFrom(digest));
  assert.match(uuidFrom(digest), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(uuidFrom('0'.repeat(64)), uuidFrom(digest));
});

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '@peerpods/test-support';
import { developmentImageWarning, readImageWarning } from '../src/image-variant';

test("a development image's os-release makes the forwarder warn at start; any other says nothing", async () => {
  const dev =
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVARIANT="peer pods DEVELOPMENT image"\nVARIANT_ID=peerpods-dev\n';
  assert.match(
    developmentImageWarning(dev)!,
    /DEVELOPMENT image .*dev-agent, which runs containers with NO isolation/,
  );
  assert.equal(developmentImageWarning('VARIANT_ID=peerpods\n'), undefined);
  assert.equal(developmentImageWarning('ID=debian\n'), undefined);
  const dir = tempDir();
  writeFileSync(join(dir, 'os-release'), dev);
  assert.match((await readImageWarning(join(dir, 'os-release')))!, /DEVELOPMENT image/);
  assert.equal(await readImageWarning(join(dir, 'absent')), undefined);
});

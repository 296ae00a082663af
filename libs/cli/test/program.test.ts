import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildInfo, versionText } from '../src/build-info';

test('version text names the program, its version and the commit, in upstream layout', () => {
  const text = versionText(buildInfo('cloud-api-adaptor', '1.2.3'));
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], 'cloud-api-adaptor version 1.2.3');
  assert.match(lines[1]!, /^ {2}commit: \S+/);
  assert.equal(lines[2], `  node: ${process.version}`);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, goTimestamp, TextLogger } from '../src/index';

test('text lines are `YYYY/MM/DD HH:MM:SS [component] message`, as upstream prints and its e2e parses', () => {
  const lines: string[] = [];
  const logger = new TextLogger(
    'adaptor',
    { write: (line) => lines.push(line) },
    () => new Date(2026, 10, 27, 9, 5, 7),
  );
  logger
    .child('cloud')
    .info('create a sandbox abc for pod nginx in namespace default (netns: /var/run/netns/x)');
  assert.deepEqual(lines, [
    '2026/11/27 09:05:07 [adaptor/cloud] create a sandbox abc for pod nginx in namespace default (netns: /var/run/netns/x)\n',
  ]);
  assert.match(goTimestamp(new Date()), /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}$/);
});

test('json lines carry level, time, component and message', async () => {
  const lines: string[] = [];
  const logger = await createLogger('adaptor', 'json', { write: (line) => lines.push(line) });
  logger.child('cloud').warn('slow provider', { sandbox: 'sb1' });
  const entry = JSON.parse(lines[0]!);
  assert.equal(entry.level, 40);
  assert.equal(entry.component, 'adaptor/cloud');
  assert.equal(entry.msg, 'slow provider');
  assert.equal(entry.sandbox, 'sb1');
  assert.equal(typeof entry.time, 'number');
});

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

test('json lines carry the level by name, an ISO time, component, message and fields', async () => {
  const lines: string[] = [];
  const logger = await createLogger('adaptor', {
    format: 'json',
    sink: { write: (line) => lines.push(line) },
  });
  logger.child('cloud').warn('slow provider', { sandbox: 'sb1' });
  const entry = JSON.parse(lines[0]!);
  assert.equal(entry.level, 'warn');
  assert.equal(entry.component, 'adaptor/cloud');
  assert.equal(entry.msg, 'slow provider');
  assert.equal(entry.sandbox, 'sb1');
  assert.match(entry.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});

test('levels are real: below the threshold nothing is written, in both formats', async () => {
  for (const format of ['text', 'json'] as const) {
    const lines: string[] = [];
    const logger = await createLogger('x', {
      format,
      level: 'warn',
      sink: { write: (line) => lines.push(line) },
    });
    logger.debug('d');
    logger.info('i');
    logger.child('y').warn('w');
    logger.error('e');
    assert.equal(lines.length, 2, format);
    const debugging = await createLogger('x', {
      format,
      level: 'debug',
      sink: { write: (line) => lines.push(line) },
    });
    debugging.debug('now seen');
    assert.equal(lines.length, 3, format);
  }
});

test("text marks warnings, errors and debug lines after the component; info lines stay upstream's", () => {
  const lines: string[] = [];
  const at = () => new Date(2026, 11, 6, 12, 0, 0);
  const logger = new TextLogger('adaptor', { write: (line) => lines.push(line) }, at, 'debug');
  logger.info('server started');
  logger.warn('provider teardown: timeout');
  logger.error('cannot listen');
  logger.debug('detail');
  assert.deepEqual(lines, [
    '2026/12/06 12:00:00 [adaptor] server started\n',
    '2026/12/06 12:00:00 [adaptor] WARNING: provider teardown: timeout\n',
    '2026/12/06 12:00:00 [adaptor] ERROR: cannot listen\n',
    '2026/12/06 12:00:00 [adaptor] DEBUG: detail\n',
  ]);
});

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { TtrpcError } from '@peerpods/ttrpc';
import { OutputStream } from '../src/output-stream';

function isEof(error: unknown): boolean {
  return error instanceof TtrpcError && error.code === 13 && error.description === 'EOF';
}

test('buffered bytes come back at once, up to len; then EOF once ended and drained', async () => {
  const stream = new OutputStream();
  stream.push(Buffer.from('hello world'));
  assert.equal((await stream.read(5)).toString(), 'hello');
  stream.end();
  assert.equal((await stream.read(100)).toString(), ' world');
  await assert.rejects(stream.read(100), isEof);
  await assert.rejects(stream.read(100), isEof);
});

test('waiting reads are served in order, each byte once; the rest get EOF at the end', async () => {
  const stream = new OutputStream();
  const reads = [stream.read(3), stream.read(3), stream.read(3), stream.read(3)];
  stream.push(Buffer.from('abcdefg'));
  stream.end();
  const results = await Promise.allSettled(reads);
  assert.deepEqual(
    results.slice(0, 3).map((r) => (r.status === 'fulfilled' ? r.value.toString() : 'rejected')),
    ['abc', 'def', 'g'],
  );
  assert.equal(results[3]?.status, 'rejected');
  assert.ok(results[3]?.status === 'rejected' && isEof(results[3].reason));
});

test('an aborted read gives up its place without taking data', async () => {
  const stream = new OutputStream();
  const controller = new AbortController();
  const aborted = stream.read(10, controller.signal);
  const next = stream.read(10);
  controller.abort(new Error('deadline'));
  await assert.rejects(aborted, /deadline/);
  stream.push(Buffer.from('data'));
  assert.equal((await next).toString(), 'data');
});

test('above the cap the source is paused, and resumed once a read drains it', async () => {
  const source = new PassThrough();
  const stream = new OutputStream(8);
  stream.attach(source);
  source.write(Buffer.alloc(10, 1));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(stream.size, 10);
  assert.equal(source.isPaused(), true);
  assert.equal((await stream.read(4)).length, 4);
  assert.equal(source.isPaused(), false);
  source.end();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal((await stream.read(100)).length, 6);
  await assert.rejects(stream.read(1), isEof);
});

import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Code,
  createServiceClient,
  decodeResponse,
  encodeRequestFrame,
  metadataFromRecord,
  TtrpcClient,
  TtrpcError,
  TtrpcServer,
} from '../src/index';
import { echoMethods } from './echo-service';
import { EchoDefinition, EchoRequest, EchoResponse } from './generated/interop';
import { serverAndClient } from './harness';
import { RawPeer } from './raw-peer';

const encode = (request: Partial<EchoRequest>) =>
  EchoRequest.encode(EchoRequest.fromPartial(request)).finish();

async function rejection(promise: Promise<unknown>): Promise<TtrpcError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TtrpcError, `expected a TtrpcError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

describe('unary calls', () => {
  test('echo with metadata; the server sees the metadata and the deadline', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const echo = createServiceClient(EchoDefinition, client);
    const response = await echo.echo(EchoRequest.fromPartial({ payload: Buffer.from('hello') }), {
      metadata: metadataFromRecord({ traceparent: '00-abc-01', multi: ['b', 'a'] }),
      timeoutMs: 7000,
    });
    assert.equal(response.payload.toString(), 'hello');
    assert.deepEqual(
      response.metadata.map(({ key, value }) => [key, value]),
      [
        ['multi', 'a'],
        ['multi', 'b'],
        ['traceparent', '00-abc-01'],
      ],
    );
    const seenMs = Number(response.timeoutNano) / 1e6;
    assert.ok(seenMs > 5000 && seenMs <= 7000, `server saw ${seenMs} ms`);
  });

  test('no deadline means no timeout_nano', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const response = EchoResponse.decode(await client.call('interop.Echo', 'Echo', encode({})));
    assert.equal(response.timeoutNano, 0n);
  });

  test('a handler status reaches the client with its code and message', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const error = await rejection(
      client.call('interop.Echo', 'Echo', encode({ failCode: 5, failMessage: 'sandbox x does not exist' })),
    );
    assert.equal(error.code, Code.NotFound);
    assert.equal(error.description, 'sandbox x does not exist');
    assert.equal(error.message, 'rpc error: code = NotFound desc = sandbox x does not exist');
  });

  test('unknown service and unknown method get code 12 with Go’s texts', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const service = await rejection(client.call('nope.Service', 'Echo', encode({})));
    assert.deepEqual([service.code, service.description], [Code.Unimplemented, 'service nope.Service']);
    const method = await rejection(client.call('interop.Echo', 'Nope', encode({})));
    assert.deepEqual([method.code, method.description], [Code.Unimplemented, 'method Nope']);
  });

  test('a handler that throws becomes a status and the connection keeps working', async () => {
    const { client } = await serverAndClient({
      crash: {
        Boom: () => {
          throw new Error('kaboom');
        },
        Missing: async () => {
          const error = new Error('ENOENT: no such file') as NodeJS.ErrnoException;
          error.code = 'ENOENT';
          throw error;
        },
      },
      'interop.Echo': echoMethods(),
    });
    const boom = await rejection(client.call('crash', 'Boom', new Uint8Array(0)));
    assert.deepEqual([boom.code, boom.description], [Code.Unknown, 'kaboom']);
    const missing = await rejection(client.call('crash', 'Missing', new Uint8Array(0)));
    assert.equal(missing.code, Code.NotFound);
    const after = EchoResponse.decode(
      await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from('ok') })),
    );
    assert.equal(after.payload.toString(), 'ok');
  });

  test('a request body that is not a valid message gives Internal, as Go', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const error = await rejection(client.call('interop.Echo', 'Echo', Buffer.from([0x0a, 0x09, 0x01])));
    assert.equal(error.code, Code.Internal);
    assert.match(error.description, /^ttrpc: error unmarshalling payload: /);
  });

  test('200 concurrent calls on one connection all get their own answers', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) =>
        EchoResponse.decode(
          await client.call(
            'interop.Echo',
            'Echo',
            encode({ payload: Buffer.from(`call-${i}`), sleepMs: BigInt(i % 7) }),
          ),
        ).payload.toString(),
      ),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 200 }, (_, i) => `call-${i}`),
    );
  });
});

describe('flow control', () => {
  test('64 calls of 1 MiB in flight each way complete (neither side stops reading)', {
    timeout: 60_000,
  }, async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const request = encode({ payload: Buffer.alloc(1 << 20, 0x42) });
    const sizes = await Promise.all(
      Array.from(
        { length: 64 },
        async () => EchoResponse.decode(await client.call('interop.Echo', 'Echo', request)).payload.length,
      ),
    );
    assert.deepEqual(new Set(sizes), new Set([1 << 20]));
  });
});

describe('deadlines and cancellation', () => {
  test('a call past its deadline fails locally with DeadlineExceeded and a late answer is dropped', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const started = performance.now();
    const error = await rejection(
      client.call('interop.Echo', 'Echo', encode({ sleepMs: 5000n }), { timeoutMs: 150 }),
    );
    assert.deepEqual([error.code, error.description], [Code.DeadlineExceeded, 'context deadline exceeded']);
    assert.ok(performance.now() - started < 4000);
    assert.equal(client.inFlight, 0);
    const ok = await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from('still') }));
    assert.equal(EchoResponse.decode(ok).payload.toString(), 'still');
  });

  test('the server enforces timeout_nano: it answers DeadlineExceeded and aborts the handler', async () => {
    let handlerAborted: Promise<unknown> | undefined;
    const { path } = await serverAndClient({
      slow: {
        Wait: (call) => {
          handlerAborted = once(call.signal, 'abort');
          return new Promise<Uint8Array>(() => {});
        },
      },
    });
    const peer = await RawPeer.connect(path);
    // A client that does not enforce deadlines itself: only the server can answer.
    peer.write(
      encodeRequestFrame(1, 0, {
        service: 'slow',
        method: 'Wait',
        payload: new Uint8Array(0),
        timeoutNano: 100_000_000,
        metadata: [],
      }),
    );
    const [frame] = await peer.waitFrames(1);
    assert.deepEqual(decodeResponse(frame!.body).status, {
      code: Code.DeadlineExceeded,
      message: 'context deadline exceeded',
      details: [],
    });
    await handlerAborted;
    peer.close();
  });

  test('an AbortSignal cancels a call at once with Canceled', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const controller = new AbortController();
    const pending = client.call('interop.Echo', 'Echo', encode({ sleepMs: 5000n }), {
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 20);
    const error = await rejection(pending);
    assert.deepEqual([error.code, error.description], [Code.Canceled, 'context canceled']);
    const already = await rejection(
      client.call('interop.Echo', 'Echo', encode({}), { signal: controller.signal }),
    );
    assert.equal(already.code, Code.Canceled);
  });

  test('losing the connection fails every pending call at once, and later calls too', async () => {
    const { client, server } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const pending = Array.from({ length: 10 }, () =>
      rejection(client.call('interop.Echo', 'Echo', encode({ sleepMs: 10_000n }))),
    );
    await sleep(50);
    await server.close();
    const errors = await Promise.all(pending);
    for (const error of errors) assert.equal(error.description.startsWith('ttrpc: closed'), true);
    const later = await rejection(client.call('interop.Echo', 'Echo', encode({})));
    assert.equal(later.description.startsWith('ttrpc: closed'), true);
    assert.equal(client.closed, true);
  });
});

describe('transports', () => {
  test('TCP on loopback', async () => {
    const server = new TtrpcServer().register('interop.Echo', echoMethods());
    const listener = await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (listener.address() as { port: number }).port;
    const client = await TtrpcClient.connect({ host: '127.0.0.1', port });
    try {
      const response = EchoResponse.decode(
        await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from('tcp') })),
      );
      assert.equal(response.payload.toString(), 'tcp');
    } finally {
      client.close();
      await server.close();
    }
  });
});

describe('graceful shutdown', () => {
  test('stops accepting, lets calls in flight finish, refuses new ones, then closes', async () => {
    const { client, server, path } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const inFlight = client.call(
      'interop.Echo',
      'Echo',
      encode({ sleepMs: 200n, payload: Buffer.from('done') }),
    );
    await sleep(30);
    const stopping = server.shutdown(5000);
    const refused = await rejection(client.call('interop.Echo', 'Echo', encode({})));
    assert.deepEqual([refused.code, refused.description], [Code.Unavailable, 'ttrpc: server shutdown']);
    assert.equal(EchoResponse.decode(await inFlight).payload.toString(), 'done');
    await stopping;
    assert.equal(server.connectionCount, 0);
    await assert.rejects(TtrpcClient.connect({ path }), /ENOENT|ECONNREFUSED/);
  });

  test('calls still running after the grace period are cut off', async () => {
    const { client, server } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const stuck = rejection(client.call('interop.Echo', 'Echo', encode({ sleepMs: 60_000n })));
    await sleep(30);
    const started = performance.now();
    await server.shutdown(200);
    assert.ok(performance.now() - started < 5000);
    assert.ok((await stuck).description.startsWith('ttrpc: closed'));
  });
});

describe('handler bugs cost one call, never the process', () => {
  test('a handler that returns something other than bytes gets Internal', async () => {
    const { client } = await serverAndClient({
      bad: {
        Number: (() => 42) as unknown as () => Uint8Array,
        Thenable: (() => ({
          // biome-ignore lint/suspicious/noThenProperty: this test is about a handler returning a thenable
          then: (ok: (v: Uint8Array) => void) => ok(Buffer.from('via thenable')),
        })) as unknown as () => Uint8Array,
      },
    });
    const error = await rejection(client.call('bad', 'Number', new Uint8Array(0)));
    assert.equal(error.code, Code.Internal);
    assert.equal(
      Buffer.from(await client.call('bad', 'Thenable', new Uint8Array(0))).toString(),
      'via thenable',
    );
  });
});

describe('review findings', () => {
  test('a handler error with a status message over 4 MiB is answered (truncated), and the server lives on', async () => {
    const { client } = await serverAndClient({
      big: {
        Fail: async (call) => {
          throw new Error(`bad id ${JSON.stringify(Buffer.from(call.payload).toString('latin1'))}`);
        },
      },
      'interop.Echo': echoMethods(),
    });
    const error = await rejection(client.call('big', 'Fail', Buffer.alloc(3_000_000, 0)));
    assert.equal(error.code, Code.Unknown);
    assert.match(error.description, /status message truncated/);
    const after = await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from('alive') }));
    assert.equal(EchoResponse.decode(after).payload.toString(), 'alive');
  });

  test('a timeout_nano longer than a timer can hold is no instant deadline', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const response = await client.call(
      'interop.Echo',
      'Echo',
      encode({ payload: Buffer.from('patient'), sleepMs: 20n }),
      {
        timeoutMs: 40 * 24 * 3600 * 1000,
      },
    );
    assert.equal(EchoResponse.decode(response).payload.toString(), 'patient');
  });
});

// Interop with the Go reference ttrpc (Debian 1.1.1, tools/ttrpc-go-peer), both directions.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  Code,
  decodeResponse,
  encodeRequestFrame,
  MAX_MESSAGE_BYTES,
  metadataFromRecord,
  TtrpcClient,
  TtrpcError,
  TtrpcServer,
} from '../src/index';
import { makeTestPki } from './certs';
import { echoMethods, patternBytes } from './echo-service';
import { EchoRequest, EchoResponse } from './generated/interop';
import { goCall, type ScenarioResult, startGoServer, stopGoServer } from './go-peer';
import { tempDir } from './harness';
import { RawPeer } from './raw-peer';

const encode = (request: Partial<EchoRequest>) =>
  EchoRequest.encode(EchoRequest.fromPartial(request)).finish();

async function failure(promise: Promise<unknown>): Promise<TtrpcError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TtrpcError, String(error));
    return error;
  }
  assert.fail('the call succeeded');
}

describe('TS client → Go server', () => {
  const dir = tempDir('ttrpc-go-');
  const path = join(dir, 'go.sock');
  let stop: () => Promise<void>;
  let client: TtrpcClient;

  before(async () => {
    const go = await startGoServer(['--unix', path]);
    stop = () => stopGoServer(go.process);
    client = await TtrpcClient.connect({ path });
  });
  after(async () => {
    client?.close();
    await stop?.();
  });

  test('a unary call with metadata and a deadline: Go sees both', async () => {
    const response = EchoResponse.decode(
      await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from('hello') }), {
        metadata: metadataFromRecord({ k1: 'v1', traceparent: '00-abc-01', multi: ['a', 'b'] }),
        timeoutMs: 10_000,
      }),
    );
    assert.equal(response.payload.toString(), 'hello');
    assert.deepEqual(
      response.metadata.map(({ key, value }) => `${key}=${value}`),
      ['k1=v1', 'multi=a', 'multi=b', 'traceparent=00-abc-01'],
    );
    const ms = Number(response.timeoutNano) / 1e6;
    assert.ok(ms > 9000 && ms <= 10_000, `Go saw ${ms} ms`);
  });

  test('a deadline that expires fails with DeadlineExceeded', async () => {
    const error = await failure(
      client.call('interop.Echo', 'Echo', encode({ sleepMs: 5000n }), { timeoutMs: 200 }),
    );
    assert.deepEqual([error.code, error.description], [Code.DeadlineExceeded, 'context deadline exceeded']);
  });

  test('an error status from Go arrives with code and message', async () => {
    const error = await failure(
      client.call('interop.Echo', 'Echo', encode({ failCode: 5, failMessage: 'sandbox x does not exist' })),
    );
    assert.equal(error.message, 'rpc error: code = NotFound desc = sandbox x does not exist');
  });

  test('unknown service and method', async () => {
    const service = await failure(client.call('nope.Service', 'Echo', encode({})));
    assert.deepEqual([service.code, service.description], [Code.Unimplemented, 'service nope.Service']);
    const method = await failure(client.call('interop.Echo', 'Nope', encode({})));
    assert.deepEqual([method.code, method.description], [Code.Unimplemented, 'method Nope']);
  });

  test('a request envelope of exactly 4 MiB is served; one byte over is refused locally', async () => {
    // Envelope = service (14) + method (6) + payload field (1 + 4 + P) = 4 MiB; P holds bytes + response_size.
    const payloadField = MAX_MESSAGE_BYTES - 14 - 6 - 5;
    const bytes = payloadField - 3 - (1 + 4); // response_size = 1024 takes 3; the bytes field 1 + 4-byte length
    const request = encode({ payload: Buffer.alloc(bytes, 1), responseSize: 1024n });
    assert.equal(request.length, payloadField);
    const response = EchoResponse.decode(await client.call('interop.Echo', 'Echo', request));
    assert.deepEqual(response.payload, patternBytes(1024));
    const over = await failure(
      client.call('interop.Echo', 'Echo', Buffer.concat([request, Buffer.from([0x00])])),
    );
    assert.equal(over.code, Code.ResourceExhausted);
  });

  test('an over-size frame sent anyway gets Go’s code 8 answer, and the connection goes on', async () => {
    const peer = await RawPeer.connect(path);
    const length = MAX_MESSAGE_BYTES + 30;
    const header = Buffer.alloc(10);
    header.writeUInt32BE(length, 0);
    header.writeUInt32BE(1, 4);
    header[8] = 1;
    peer.write([header, Buffer.alloc(length)]);
    peer.write(
      encodeRequestFrame(3, 0, {
        service: 'interop.Echo',
        method: 'Echo',
        payload: encode({ payload: Buffer.from('after') }),
        timeoutNano: 0,
        metadata: [],
      }),
    );
    const [first, second] = await peer.waitFrames(2, 20_000);
    assert.deepEqual(decodeResponse(first!.body).status, {
      code: Code.ResourceExhausted,
      message: `message length ${length} exceed maximum message size of 4194304`,
      details: [],
    });
    assert.equal(EchoResponse.decode(decodeResponse(second!.body).payload).payload.toString(), 'after');
    peer.close();
  });

  test('a response over 4 MiB from Go fails only that call; the client goes on', async () => {
    const error = await failure(
      client.call('interop.Echo', 'Echo', encode({ responseSize: BigInt(MAX_MESSAGE_BYTES + 100) })),
    );
    assert.equal(error.code, Code.ResourceExhausted);
    const response = EchoResponse.decode(
      await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from('still here') })),
    );
    assert.equal(response.payload.toString(), 'still here');
  });

  test('200 concurrent calls on one connection', async () => {
    const results = await Promise.all(
      Array.from({ length: 200 }, async (_, i) =>
        EchoResponse.decode(
          await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from(`call-${i}`) })),
        ).payload.toString(),
      ),
    );
    assert.deepEqual(
      results,
      Array.from({ length: 200 }, (_, i) => `call-${i}`),
    );
  });
});

describe('Go client → TS server', () => {
  const dir = tempDir('ttrpc-go-');
  const path = join(dir, 'ts.sock');
  const server = new TtrpcServer().register('interop.Echo', echoMethods());
  const endpoint = ['--unix', path];
  before(() => server.listen({ path }));
  after(() => server.close());

  const expectStatus = (result: ScenarioResult, code: number, message: string) => {
    assert.equal(result.ok, false);
    assert.equal(result.code, code);
    assert.equal(result.message, message);
  };

  test('unary call with metadata: payload echoed, metadata and deadline seen by TS', async () => {
    const result = await goCall(endpoint, 'unary-metadata');
    assert.equal(result.ok, true);
    assert.equal(Buffer.from(result.payloadHex, 'hex').toString(), 'hello');
    assert.deepEqual(
      result.metadata.map(({ key, value }) => `${key}=${value}`),
      ['k1=v1', 'multi=a', 'multi=b', 'traceparent=00-abc-01'],
    );
    assert.ok(result.timeoutNano > 9e9 && result.timeoutNano <= 10e9, String(result.timeoutNano));
  });

  test('deadlines: expiry gives code 4; the budget is propagated', async () => {
    expectStatus(
      await goCall(endpoint, 'deadline-expires'),
      Code.DeadlineExceeded,
      'context deadline exceeded',
    );
    const propagated = await goCall(endpoint, 'deadline-propagated');
    assert.ok(propagated.timeoutNano > 6e9 && propagated.timeoutNano <= 7e9, String(propagated.timeoutNano));
  });

  test('error statuses, unknown service and unknown method read as Go’s own', async () => {
    expectStatus(await goCall(endpoint, 'error-status'), Code.NotFound, 'sandbox x does not exist');
    expectStatus(await goCall(endpoint, 'unknown-service'), Code.Unimplemented, 'service nope.Service');
    expectStatus(await goCall(endpoint, 'unknown-method'), Code.Unimplemented, 'method Nope');
  });

  test('a 4 MiB request envelope is accepted; an over-size one gets code 8 and the connection survives', async () => {
    const under = await goCall(endpoint, 'payload-under-max');
    assert.equal(under.ok, true, under.message);
    assert.equal(under.details.requestEnvelopeBytes, MAX_MESSAGE_BYTES);
    assert.equal(under.payloadLen, 1024);
    const over = await goCall(endpoint, 'payload-over-max');
    assert.equal(over.code, Code.ResourceExhausted);
    assert.equal(
      over.message,
      `message length ${over.details.requestEnvelopeBytes} exceed maximum message size of 4194304`,
    );
    assert.equal(over.details.afterOk, true);
    assert.equal(Buffer.from(String(over.details.afterPayloadHex), 'hex').toString(), 'after');
  });

  test('a response too large to send is answered with code 8 (a Go server would crash Go 1.1.1 clients)', async () => {
    const result = await goCall(endpoint, 'response-over-max');
    assert.equal(result.details.clientCrashed ?? false, false);
    assert.equal(result.code, Code.ResourceExhausted);
    assert.match(result.message, /exceed maximum message size of 4194304/);
    assert.equal(result.details.afterOk, true);
  });

  test('200 concurrent calls from one Go client', async () => {
    const result = await goCall(endpoint, 'concurrent-200');
    assert.equal(result.ok, true);
    assert.deepEqual([result.details.matched, result.details.failed], [200, 0]);
  });
});

describe('over mutual TLS, both directions', () => {
  const dir = tempDir('ttrpc-go-tls-');
  const pki = makeTestPki(dir);

  test('TS client → Go server', async () => {
    const go = await startGoServer([
      '--tcp',
      '127.0.0.1:0',
      '--tls-cert',
      pki.files.serverCert,
      '--tls-key',
      pki.files.serverKey,
      '--tls-ca',
      pki.files.ca,
    ]);
    const [host, port] = go.address.split(':') as [string, string];
    const client = await TtrpcClient.connect({
      host,
      port: Number(port),
      tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, servername: 'localhost' },
    });
    try {
      const response = EchoResponse.decode(
        await client.call('interop.Echo', 'Echo', encode({ payload: Buffer.from('tls') })),
      );
      assert.equal(response.payload.toString(), 'tls');
    } finally {
      client.close();
      await stopGoServer(go.process);
    }
  });

  test('Go client → TS server', async () => {
    const server = new TtrpcServer().register('interop.Echo', echoMethods());
    const listener = await server.listen({
      host: '127.0.0.1',
      port: 0,
      tls: {
        cert: pki.serverCert,
        key: pki.serverKey,
        ca: pki.ca,
        requestCert: true,
        rejectUnauthorized: true,
      },
    });
    const port = (listener.address() as { port: number }).port;
    try {
      const result = await goCall(
        [
          '--tcp',
          `127.0.0.1:${port}`,
          '--tls-cert',
          pki.files.clientCert,
          '--tls-key',
          pki.files.clientKey,
          '--tls-ca',
          pki.files.ca,
          '--server-name',
          'localhost',
        ],
        'unary-metadata',
      );
      assert.equal(result.ok, true, result.message);
      assert.equal(Buffer.from(result.payloadHex, 'hex').toString(), 'hello');
    } finally {
      await server.close();
    }
  });
});

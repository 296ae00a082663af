import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  Code,
  forwardingMethods,
  type Metadata,
  metadataFromRecord,
  TtrpcClient,
  TtrpcError,
  TtrpcServer,
} from '../src/index';
import { echoMethods } from './echo-service';
import { EchoRequest, EchoResponse } from './generated/interop';
import { tempDir } from './harness';
import { hex } from './hex';

interface Seen {
  payload: Buffer;
  metadata: Metadata;
  remainingMs: number | undefined;
}

/** client → proxy (forwardingMethods) → upstream; returns the client and what upstream saw. */
async function chain(interceptors = {}) {
  const dir = tempDir('ttrpc-proxy-');
  const seen: Seen[] = [];
  const upstream = new TtrpcServer().register('interop.Echo', echoMethods()).register('raw.Bytes', {
    Keep: (call) => {
      seen.push({
        payload: Buffer.from(call.payload),
        metadata: call.metadata,
        remainingMs: call.deadline?.remainingMs(),
      });
      // Answer with bytes that include fields no schema here knows about.
      return hex('0a 03 61 62 63 f8 07 2a 9a 05 02 ff ee');
    },
    Refuse: () => {
      throw new TtrpcError(Code.PermissionDenied, 'policy says no');
    },
    Hang: () => new Promise<Uint8Array>(() => {}),
  });
  await upstream.listen({ path: join(dir, 'upstream.sock') });
  const upstreamClient = await TtrpcClient.connect({ path: join(dir, 'upstream.sock') });
  const proxy = new TtrpcServer()
    .register('interop.Echo', forwardingMethods(['Echo'], upstreamClient, { interceptors }))
    .register('raw.Bytes', forwardingMethods(['Keep', 'Refuse', 'Hang'], upstreamClient));
  await proxy.listen({ path: join(dir, 'proxy.sock') });
  const client = await TtrpcClient.connect({ path: join(dir, 'proxy.sock') });
  after(async () => {
    client.close();
    upstreamClient.close();
    await proxy.close();
    await upstream.close();
  });
  return { client, seen, upstreamClient, dir };
}

describe('raw passthrough', () => {
  test('request and response bytes cross unchanged, unknown fields included', async () => {
    const { client, seen } = await chain();
    const request = hex('0a 01 78 a0 1f 01 b2 3e 03 01 02 03');
    const response = await client.call('raw.Bytes', 'Keep', request);
    assert.deepEqual(Buffer.from(response), hex('0a 03 61 62 63 f8 07 2a 9a 05 02 ff ee'));
    assert.deepEqual(seen[0]?.payload, request);
  });

  test('metadata (order and duplicates) and the remaining deadline are passed on', async () => {
    const { client, seen } = await chain();
    const metadata = metadataFromRecord({ b: ['2', '1'], a: 'x' });
    await client.call('raw.Bytes', 'Keep', new Uint8Array(0), { metadata, timeoutMs: 3000 });
    assert.deepEqual(seen[0]?.metadata, metadata);
    const remaining = seen[0]?.remainingMs ?? 0;
    assert.ok(remaining > 1000 && remaining <= 3000, `upstream saw ${remaining} ms`);
  });

  test('the upstream’s error status comes back with the same code and message', async () => {
    const { client } = await chain();
    await assert.rejects(client.call('raw.Bytes', 'Refuse', new Uint8Array(0)), (error: TtrpcError) => {
      assert.equal(error.code, Code.PermissionDenied);
      assert.equal(error.description, 'policy says no');
      return true;
    });
  });

  test('an interceptor can rewrite one method’s request; others stay bytes', async () => {
    const { client } = await chain({
      Echo: async (call: { payload: Uint8Array }, next: (payload: Uint8Array) => Promise<Uint8Array>) => {
        const request = EchoRequest.decode(call.payload);
        request.payload = Buffer.from(`${request.payload.toString()} (rewritten)`);
        return next(EchoRequest.encode(request).finish());
      },
    });
    const payload = EchoRequest.encode(EchoRequest.fromPartial({ payload: Buffer.from('hi') })).finish();
    const response = EchoResponse.decode(await client.call('interop.Echo', 'Echo', payload));
    assert.equal(response.payload.toString(), 'hi (rewritten)');
  });

  test('when the caller goes away, the forwarded call is cancelled at the proxy', {
    timeout: 10_000,
  }, async () => {
    const { upstreamClient, dir } = await chain();
    const caller = await TtrpcClient.connect({ path: join(dir, 'proxy.sock') });
    const pending = caller.call('raw.Bytes', 'Hang', new Uint8Array(0)).catch(() => 'closed');
    while (upstreamClient.inFlight === 0) await new Promise((r) => setTimeout(r, 5));
    caller.close();
    assert.equal(await pending, 'closed');
    while (upstreamClient.inFlight !== 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(upstreamClient.closed, false, 'the shared upstream connection stays up');
  });

  test('a method the proxy does not list is Unimplemented at the proxy, like Go', async () => {
    const { client } = await chain();
    await assert.rejects(client.call('raw.Bytes', 'Other', new Uint8Array(0)), (error: TtrpcError) => {
      return error.code === Code.Unimplemented && error.description === 'method Other';
    });
  });
});

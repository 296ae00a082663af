import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createServiceClient, serviceMethods } from '../src/index';
import { EchoRequest, EchoResponse, StreamsDefinition } from './generated/interop';
import { serverAndClient } from './harness';

const text = (message: EchoResponse | EchoRequest) => message.payload.toString();
const request = (payload: string) => EchoRequest.fromPartial({ payload: Buffer.from(payload) });

const streams = serviceMethods(StreamsDefinition, {
  count: async (req, _call, out) => {
    for (let i = 1; i <= Number(req.responseSize); i++) {
      await out.send(EchoResponse.fromPartial({ payload: Buffer.from(`${text(req)}${i}`) }));
    }
  },
  join: async (requests) => {
    const parts: string[] = [];
    for await (const req of requests) parts.push(text(req));
    return EchoResponse.fromPartial({ payload: Buffer.from(parts.join(',')) });
  },
  upper: async (requests, _call, out) => {
    for await (const req of requests)
      await out.send(EchoResponse.fromPartial({ payload: Buffer.from(text(req).toUpperCase()) }));
  },
});

describe('typed streaming handlers and clients', () => {
  test('server-streaming', async () => {
    const { client } = await serverAndClient({ 'interop.Streams': streams });
    const typed = createServiceClient(StreamsDefinition, client);
    const got: string[] = [];
    for await (const message of typed.count(
      EchoRequest.fromPartial({ payload: Buffer.from('n'), responseSize: 3n }),
    )) {
      got.push(text(message));
    }
    assert.deepEqual(got, ['n1', 'n2', 'n3']);
  });

  test('client-streaming', async () => {
    const { client } = await serverAndClient({ 'interop.Streams': streams });
    const join = createServiceClient(StreamsDefinition, client).join();
    join.send(request('a'));
    join.send(request('b'));
    join.send(request('c'));
    join.closeSend();
    const result = await join.result;
    assert.equal(result && text(result), 'a,b,c');
  });

  test('bidirectional', async () => {
    const { client } = await serverAndClient({ 'interop.Streams': streams });
    const upper = createServiceClient(StreamsDefinition, client).upper();
    const replies = upper[Symbol.asyncIterator]();
    upper.send(request('x'));
    assert.equal(text((await replies.next()).value as EchoResponse), 'X');
    upper.send(request('yz'));
    assert.equal(text((await replies.next()).value as EchoResponse), 'YZ');
    upper.closeSend();
    assert.equal((await replies.next()).done, true);
  });
});

// Streaming, TS client ↔ TS server, checked against the frame rules of docs/ttrpc.md §5.
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  Code,
  decodeRequest,
  encodeRequestFrame,
  Flags,
  MessageType,
  type MethodTable,
  TtrpcClient,
  TtrpcError,
} from '../src/index';
import { serverAndClient, tempDir } from './harness';
import { hex } from './hex';
import { RawPeer } from './raw-peer';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

const streams: MethodTable = {
  Count: {
    kind: 'server-stream',
    handler: async (call) => {
      const upTo = Number(text(call.payload));
      for (let i = 1; i <= upTo; i++) await call.send(Buffer.from(String(i)));
      await call.send(new Uint8Array(0));
      return undefined;
    },
  },
  Fail: {
    kind: 'server-stream',
    handler: async (call) => {
      await call.send(Buffer.from('partial'));
      throw new TtrpcError(Code.Aborted, 'gave up');
    },
  },
  Join: {
    kind: 'client-stream',
    handler: async (call) => {
      const parts: string[] = [];
      for await (const message of call.messages()) parts.push(text(message));
      return Buffer.from(parts.join('+'));
    },
  },
  Upper: {
    kind: 'bidi',
    handler: async (call) => {
      for await (const message of call.messages()) await call.send(Buffer.from(text(message).toUpperCase()));
      return undefined;
    },
  },
};

describe('streaming calls', () => {
  test('server-streaming: messages in order, an empty message kept, clean end', async () => {
    const { client } = await serverAndClient({ streams });
    const stream = client.stream('server-stream', 'streams', 'Count', Buffer.from('3'));
    const got: string[] = [];
    for await (const message of stream) got.push(text(message));
    assert.deepEqual(got, ['1', '2', '3', '']);
    assert.equal(await stream.result, undefined);
    assert.equal(client.inFlight, 0);
  });

  test('server-streaming on the wire: Request flags 0x01, Data flags 0, then Data 0x05 with no body', async () => {
    const { path } = await serverAndClient({ streams });
    const peer = await RawPeer.connect(path);
    peer.write(
      encodeRequestFrame(1, Flags.RemoteClosed, {
        service: 'streams',
        method: 'Count',
        payload: Buffer.from('1'),
        timeoutNano: 0,
        metadata: [],
      }),
    );
    const frames = await peer.waitFrames(3);
    assert.deepEqual(
      frames.map((f) => [f.streamId, f.type, f.flags, Buffer.from(f.body).toString('hex')]),
      [
        [1, MessageType.Data, 0, Buffer.from('1').toString('hex')],
        [1, MessageType.Data, 0, ''],
        [1, MessageType.Data, Flags.RemoteClosed | Flags.NoData, ''],
      ],
    );
    peer.close();
  });

  test('a failing server stream ends with a Response carrying the status', async () => {
    const { client } = await serverAndClient({ streams });
    const stream = client.stream('server-stream', 'streams', 'Fail', new Uint8Array(0));
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const message of stream) got.push(text(message));
      })(),
      (error: TtrpcError) => error.code === Code.Aborted && error.description === 'gave up',
    );
    assert.deepEqual(got, ['partial']);
  });

  test('client-streaming: Request flags 0x02 without payload, Data frames, CloseSend, one Response', async () => {
    const { client } = await serverAndClient({ streams });
    const written: Buffer[] = [];
    const socket = client.socket as net.Socket;
    const originalWrite = socket.write.bind(socket);
    socket.write = ((chunk: Buffer, ...rest: never[]) => {
      written.push(Buffer.from(chunk));
      return originalWrite(chunk, ...rest);
    }) as typeof socket.write;
    const stream = client.stream('client-stream', 'streams', 'Join', undefined);
    stream.send(Buffer.from('a'));
    stream.send(Buffer.from('b'));
    stream.closeSend();
    assert.equal(text((await stream.result)!), 'a+b');
    const wire = Buffer.concat(written);
    assert.equal(wire[8], MessageType.Request);
    assert.equal(wire[9], Flags.RemoteOpen);
    assert.equal(decodeRequest(wire.subarray(10, 10 + wire.readUInt32BE(0))).payload.length, 0);
    // The last frame is CloseSend: Data, REMOTE_CLOSED|NO_DATA, length 0.
    assert.deepEqual(wire.subarray(wire.length - 10), hex('00 00 00 00 00 00 00 01 03 05'));
  });

  test('a first message given at open travels as the Request payload', async () => {
    const { client } = await serverAndClient({ streams });
    const stream = client.stream('client-stream', 'streams', 'Join', Buffer.from('first'));
    stream.send(Buffer.from('second'));
    stream.closeSend();
    assert.equal(text((await stream.result)!), 'first+second');
  });

  test('bidirectional: answers interleave with sends; both sides close cleanly', async () => {
    const { client } = await serverAndClient({ streams });
    const stream = client.stream('bidi', 'streams', 'Upper', undefined);
    const iterator = stream[Symbol.asyncIterator]();
    stream.send(Buffer.from('one'));
    assert.equal(text((await iterator.next()).value!), 'ONE');
    stream.send(Buffer.from('two'));
    assert.equal(text((await iterator.next()).value!), 'TWO');
    stream.closeSend();
    assert.equal((await iterator.next()).done, true);
    await stream.result;
  });

  test('no Data is ever sent on a stream that has ended', async () => {
    const { client } = await serverAndClient({ streams });
    const stream = client.stream('bidi', 'streams', 'Upper', undefined);
    stream.closeSend();
    await stream.result;
    const socket = client.socket as net.Socket;
    const before = socket.bytesWritten;
    assert.throws(
      () => stream.send(Buffer.from('late')),
      (error: TtrpcError) => error.code === Code.FailedPrecondition,
    );
    stream.closeSend();
    assert.equal(socket.bytesWritten, before);
  });

  test('a unary call that receives Data fails with Go’s protocol error', async () => {
    const path = join(tempDir(), 'fake.sock');
    const server = net.createServer((socket) =>
      socket.once('data', () => socket.write(hex('00 00 00 00 00 00 00 01 03 00'))),
    );
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const client = await TtrpcClient.connect({ path });
    try {
      await assert.rejects(client.call('s', 'm', new Uint8Array(0)), (error: TtrpcError) =>
        error.description.includes('unexpected "data" message received: protocol error'),
      );
    } finally {
      client.close();
      server.close();
    }
  });
});

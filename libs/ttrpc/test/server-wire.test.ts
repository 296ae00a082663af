// Server behaviour at the wire level, driven by hand-made frames (docs/ttrpc.md §6).
import assert from 'node:assert/strict';
import net from 'node:net';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  Code,
  decodeResponse,
  encodeDataFrame,
  encodeRequestFrame,
  MAX_MESSAGE_BYTES,
  TtrpcClient,
  type TtrpcError,
} from '../src/index';
import { echoMethods } from './echo-service';
import { EchoRequest, EchoResponse } from './generated/interop';
import { serverAndClient, tempDir } from './harness';
import { hex } from './hex';
import { RawPeer } from './raw-peer';

const echoRequest = (request: Partial<EchoRequest>, id = 1, timeoutNano = 0) =>
  encodeRequestFrame(id, 0, {
    service: 'interop.Echo',
    method: 'Echo',
    payload: EchoRequest.encode(EchoRequest.fromPartial(request)).finish(),
    timeoutNano,
    metadata: [],
  });

async function peerFor(): Promise<RawPeer> {
  const { path } = await serverAndClient({ 'interop.Echo': echoMethods() });
  return RawPeer.connect(path);
}

describe('server answers protocol errors as Go does', () => {
  test('an even stream id gets code 3 on that id', async () => {
    const peer = await peerFor();
    peer.write(echoRequest({}, 2));
    const [frame] = await peer.waitFrames(1);
    assert.equal(frame!.streamId, 2);
    assert.deepEqual(decodeResponse(frame!.body).status, {
      code: Code.InvalidArgument,
      message: 'StreamID must be odd for client initiated streams',
      details: [],
    });
    peer.close();
  });

  test('an envelope that does not decode gets code 3 `unmarshal request error: …`', async () => {
    const peer = await peerFor();
    peer.write(hex('00 00 00 02 00 00 00 01 01 00 ff ff'));
    const [frame] = await peer.waitFrames(1);
    const status = decodeResponse(frame!.body).status!;
    assert.equal(status.code, Code.InvalidArgument);
    assert.match(status.message, /^unmarshal request error: /);
    peer.close();
  });

  test('an oversize frame gets code 8 after its body is discarded, and the connection goes on', async () => {
    const peer = await peerFor();
    const length = MAX_MESSAGE_BYTES + 1;
    const header = Buffer.alloc(10);
    header.writeUInt32BE(length, 0);
    header.writeUInt32BE(1, 4);
    header[8] = 1;
    peer.write([header, Buffer.alloc(length, 0x5a)]);
    peer.write(echoRequest({ payload: Buffer.from('next') }, 3));
    const [first, second] = await peer.waitFrames(2, 20_000);
    assert.equal(first!.streamId, 1);
    assert.deepEqual(decodeResponse(first!.body).status, {
      code: Code.ResourceExhausted,
      message: `message length ${length} exceed maximum message size of 4194304`,
      details: [],
    });
    assert.equal(second!.streamId, 3);
    assert.equal(EchoResponse.decode(decodeResponse(second!.body).payload).payload.toString(), 'next');
    peer.close();
  });

  test('Data on a stream that is not open gets code 3 and nothing else happens', async () => {
    const peer = await peerFor();
    peer.write(encodeDataFrame(7, 0, hex('0a 01 61')));
    const [frame] = await peer.waitFrames(1);
    assert.equal(frame!.streamId, 7);
    assert.equal(decodeResponse(frame!.body).status?.message, 'StreamID is no longer active');
    peer.close();
  });

  test('Data on a unary call in flight is ignored: exactly one answer arrives', async () => {
    const peer = await peerFor();
    peer.write(echoRequest({ payload: Buffer.from('x'), sleepMs: 100n }, 1));
    peer.write(encodeDataFrame(1, 0, hex('0a 01 61')));
    peer.write(encodeDataFrame(1, 5, new Uint8Array(0)));
    peer.write(echoRequest({ payload: Buffer.from('y'), sleepMs: 200n }, 3));
    const frames = await peer.waitFrames(2);
    assert.deepEqual(
      frames.map((f) => f.streamId),
      [1, 3],
    );
    assert.equal(decodeResponse(frames[0]!.body).status, undefined);
    peer.close();
  });

  test('unknown frame types and stray Responses are ignored', async () => {
    const peer = await peerFor();
    peer.write(hex('00 00 00 01 00 00 00 01 09 00 00'));
    peer.write(hex('00 00 00 00 00 00 00 01 02 00'));
    peer.write(echoRequest({ payload: Buffer.from('z') }, 1));
    const [frame] = await peer.waitFrames(1);
    assert.equal(EchoResponse.decode(decodeResponse(frame!.body).payload).payload.toString(), 'z');
    peer.close();
  });

  test('a response too large to send becomes code 8 for that call; the connection survives', async () => {
    const { client } = await serverAndClient({ 'interop.Echo': echoMethods() });
    const big = EchoRequest.encode(
      EchoRequest.fromPartial({ responseSize: BigInt(MAX_MESSAGE_BYTES + 100) }),
    ).finish();
    await assert.rejects(client.call('interop.Echo', 'Echo', big), (error: TtrpcError) => {
      assert.equal(error.code, Code.ResourceExhausted);
      assert.match(error.description, /exceed maximum message size of 4194304/);
      return true;
    });
    const after = await client.call(
      'interop.Echo',
      'Echo',
      EchoRequest.encode(EchoRequest.fromPartial({})).finish(),
    );
    assert.equal(after.length, 0);
  });

  test('the largest request that fits is served; one byte more fails locally and writes nothing', async () => {
    const { client } = await serverAndClient({
      sink: { Size: (call) => Buffer.from(String(call.payload.length)) },
    });
    // Envelope = service (1 + 1 + 4) + method (1 + 1 + 4) + payload (1 + 4-byte length + n) = 4 MiB exactly.
    const inner = MAX_MESSAGE_BYTES - 6 - 6 - 5;
    const fits = await client.call('sink', 'Size', Buffer.alloc(inner, 1));
    assert.equal(Buffer.from(fits).toString(), String(inner));
    const socket = client.socket as net.Socket;
    const written = socket.bytesWritten;
    await assert.rejects(client.call('sink', 'Size', Buffer.alloc(inner + 1, 1)), (error: TtrpcError) => {
      assert.equal(error.code, Code.ResourceExhausted);
      assert.equal(
        error.description,
        `message length ${MAX_MESSAGE_BYTES + 1} exceed maximum message size of 4194304`,
      );
      return true;
    });
    assert.equal(socket.bytesWritten, written);
  });
});

describe('client accepts every success form', () => {
  test('Rust-style `0a 00` status, and unknown envelope fields', async () => {
    const path = join(tempDir(), 'fake.sock');
    const answers = [
      hex('00 00 00 0b 00 00 00 01 02 00 0a 00 12 07 0a 05 30 2e 30 2e 30'),
      // Success with an unknown envelope field (field 3, fixed32) the client must skip.
      hex('00 00 00 05 00 00 00 03 02 00 1d 00 00 00 00'),
    ];
    const fake = net.createServer((socket) => {
      let seen = 0;
      socket.on('data', () => {
        // One answer per request, in order; requests are small enough to arrive in one read each.
        while (seen < answers.length) socket.write(answers[seen++]!);
      });
    });
    await new Promise<void>((resolve) => fake.listen(path, resolve));
    const client = await TtrpcClient.connect({ path });
    try {
      const [rust, empty] = await Promise.all([
        client.call('hypervisor.Hypervisor', 'Version', new Uint8Array(0)),
        client.call('hypervisor.Hypervisor', 'StartVM', new Uint8Array(0)),
      ]);
      assert.deepEqual(Buffer.from(rust), hex('0a 05 30 2e 30 2e 30'));
      assert.equal(empty.length, 0);
    } finally {
      client.close();
      fake.close();
    }
  });
});

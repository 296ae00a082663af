import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  encodeDataFrame,
  type Frame,
  FrameReader,
  MAX_MESSAGE_BYTES,
  type OversizeFrame,
} from '../src/index';
import { concat, hex } from './hex';

function collect(reader: FrameReader, chunks: readonly Uint8Array[]) {
  const frames: Frame[] = [];
  const oversize: OversizeFrame[] = [];
  for (const chunk of chunks)
    reader.push(chunk, { frame: (f) => frames.push(f), oversize: (h) => oversize.push(h) });
  return { frames, oversize };
}

const three = Buffer.concat([
  concat(encodeDataFrame(1, 0, hex('0a 01 61'))),
  concat(encodeDataFrame(3, 0, new Uint8Array(0))),
  concat(encodeDataFrame(5, 5, hex('01 02 03 04 05'))),
]);

describe('FrameReader', () => {
  test('reassembles frames split at every possible byte boundary', () => {
    for (let cut = 0; cut <= three.length; cut++) {
      for (let cut2 = cut; cut2 <= three.length; cut2 += 3) {
        const { frames } = collect(new FrameReader(), [
          three.subarray(0, cut),
          three.subarray(cut, cut2),
          three.subarray(cut2),
        ]);
        assert.deepEqual(
          frames.map((f) => [f.streamId, f.flags, Buffer.from(f.body).toString('hex')]),
          [
            [1, 0, '0a0161'],
            [3, 0, ''],
            [5, 5, '0102030405'],
          ],
          `cut at ${cut}/${cut2}`,
        );
      }
    }
  });

  test('one byte at a time works too', () => {
    const { frames } = collect(
      new FrameReader(),
      [...three].map((byte) => Uint8Array.of(byte)),
    );
    assert.equal(frames.length, 3);
  });

  test('a frame of exactly the maximum length is accepted', () => {
    const body = Buffer.alloc(MAX_MESSAGE_BYTES, 1);
    const { frames, oversize } = collect(new FrameReader(), encodeDataFrame(7, 0, body));
    assert.equal(oversize.length, 0);
    assert.equal(frames[0]?.body.length, MAX_MESSAGE_BYTES);
  });

  test('an oversize frame is reported from its header and its body skipped without being held', () => {
    const reader = new FrameReader();
    const header = hex('00 40 00 01 00 00 00 09 01 00'); // length 4 MiB + 1, stream 9, Request
    const { oversize } = collect(reader, [header]);
    assert.deepEqual(oversize, [{ streamId: 9, type: 1, flags: 0, length: MAX_MESSAGE_BYTES + 1 }]);
    // Feed the body in pieces: the reader must not accumulate it.
    const piece = Buffer.alloc(1024 * 1024, 0xee);
    for (let sent = 0; sent < MAX_MESSAGE_BYTES + 1; sent += piece.length) {
      const slice = piece.subarray(0, Math.min(piece.length, MAX_MESSAGE_BYTES + 1 - sent));
      collect(reader, [slice]);
      assert.equal(reader.bufferedBytes, 0);
    }
    // The stream stays in sync: the next frame decodes normally.
    const after = collect(reader, encodeDataFrame(11, 0, hex('aa')));
    assert.equal(after.frames[0]?.streamId, 11);
  });

  test('a declared length of 2^32-1 allocates nothing', () => {
    const reader = new FrameReader();
    const { oversize } = collect(reader, [hex('ff ff ff ff 00 00 00 01 01 00 00 00')]);
    assert.equal(oversize[0]?.length, 0xffffffff);
    assert.equal(reader.bufferedBytes, 0);
  });

  test('a body that arrived in one chunk is a view, not a copy', () => {
    const frame = concat(encodeDataFrame(1, 0, Buffer.alloc(100, 3)));
    const { frames } = collect(new FrameReader(), [frame]);
    assert.equal(frames[0]!.body.buffer, frame.buffer);
  });
});

// The worked frames of docs/ttrpc.md §7, byte for byte.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  decodeRequest,
  decodeResponse,
  encodeDataFrame,
  encodeRequestFrame,
  encodeResponseFrame,
  type Frame,
  FrameReader,
  WireFormatError,
} from '../src/index';
import { ascii, concat, hex } from './hex';

function readOne(bytes: Uint8Array): Frame {
  const frames: Frame[] = [];
  new FrameReader().push(bytes, { frame: (f) => frames.push(f), oversize: () => assert.fail('oversize') });
  assert.equal(frames.length, 1);
  return frames[0]!;
}

const versionRequestFrame = hex(`
  00 00 00 29  00 00 00 01  01  00
  0a 15 ${ascii('hypervisor.Hypervisor')}
  12 07 56 65 72 73 69 6f 6e
  1a 07 0a 05 30 2e 31 2e 30`);

describe('golden frames', () => {
  test('§11.1 Version request encodes to the 51 bytes Go writes, and decodes back', () => {
    const encoded = concat(
      encodeRequestFrame(1, 0, {
        service: 'hypervisor.Hypervisor',
        method: 'Version',
        payload: hex('0a 05 30 2e 31 2e 30'),
        timeoutNano: 0,
        metadata: [],
      }),
    );
    assert.equal(encoded.length, 51);
    assert.deepEqual(encoded, versionRequestFrame);
    const frame = readOne(encoded);
    assert.deepEqual([frame.streamId, frame.type, frame.flags], [1, 1, 0]);
    const request = decodeRequest(frame.body);
    assert.equal(request.service, 'hypervisor.Hypervisor');
    assert.equal(request.method, 'Version');
    assert.deepEqual(Buffer.from(request.payload), hex('0a 05 30 2e 31 2e 30'));
    assert.equal(request.timeoutNano, 0);
    assert.deepEqual(request.metadata, []);
  });

  test('§11.2 success responses: Go (no status), Rust (0a 00) and the empty message', () => {
    const goFrame = hex('00 00 00 09 00 00 00 01 02 00 12 07 0a 05 30 2e 30 2e 30');
    assert.deepEqual(concat(encodeResponseFrame(1, { payload: hex('0a 05 30 2e 30 2e 30') })), goFrame);
    const rust = decodeResponse(hex('0a 00 12 07 0a 05 30 2e 30 2e 30'));
    assert.equal(rust.status?.code, 0);
    assert.deepEqual(Buffer.from(rust.payload), hex('0a 05 30 2e 30 2e 30'));
    const empty = hex('00 00 00 00 00 00 00 01 02 00');
    assert.deepEqual(concat(encodeResponseFrame(1, { payload: new Uint8Array(0) })), empty);
    // A status with code 0 is a success too, and is not written.
    assert.deepEqual(
      concat(
        encodeResponseFrame(1, { status: { code: 0, message: '', details: [] }, payload: new Uint8Array(0) }),
      ),
      empty,
    );
  });

  test('§11.3 error responses: unknown service, and a handler status', () => {
    const unknownService = hex(`00 00 00 11 00 00 00 0b 02 00 0a 0f 08 0c 12 0b ${ascii('service foo')}`);
    const encoded = concat(
      encodeResponseFrame(11, {
        status: { code: 12, message: 'service foo', details: [] },
        payload: new Uint8Array(0),
      }),
    );
    assert.deepEqual(encoded, unknownService);
    const text = 'sandbox x does not exist';
    const notFound = hex(`00 00 00 1e 00 00 00 09 02 00 0a 1c 08 05 12 18 ${ascii(text)}`);
    assert.deepEqual(
      concat(
        encodeResponseFrame(9, {
          status: { code: 5, message: text, details: [] },
          payload: new Uint8Array(0),
        }),
      ),
      notFound,
    );
    const decoded = decodeResponse(readOne(notFound).body);
    assert.deepEqual(decoded.status, { code: 5, message: text, details: [] });
  });

  test('§11.4 request with a deadline and metadata', () => {
    const expected = hex(`
      00 00 00 48 00 00 00 05 01 00
      0a 15 ${ascii('hypervisor.Hypervisor')}
      12 07 53 74 61 72 74 56 4d
      1a 05 0a 03 73 62 31
      20 8b e1 a2 96 bb 11
      2a 18 0a 0b ${ascii('traceparent')} 12 09 ${ascii('00-abc-01')}`);
    const encoded = concat(
      encodeRequestFrame(5, 0, {
        service: 'hypervisor.Hypervisor',
        method: 'StartVM',
        payload: hex('0a 03 73 62 31'),
        timeoutNano: 599_999_950_987,
        metadata: [{ key: 'traceparent', value: '00-abc-01' }],
      }),
    );
    assert.deepEqual(encoded, expected);
    const request = decodeRequest(readOne(encoded).body);
    assert.equal(request.timeoutNano, 599_999_950_987);
    assert.deepEqual(request.metadata, [{ key: 'traceparent', value: '00-abc-01' }]);
  });

  test('§11.5 server-streaming Data frames', () => {
    assert.deepEqual(
      concat(encodeDataFrame(1, 0, hex('0a 01 61'))),
      hex('00 00 00 03 00 00 00 01 03 00 0a 01 61'),
    );
    assert.deepEqual(concat(encodeDataFrame(1, 0, new Uint8Array(0))), hex('00 00 00 00 00 00 00 01 03 00'));
    assert.deepEqual(
      concat(encodeDataFrame(1, 0x05, new Uint8Array(0))),
      hex('00 00 00 00 00 00 00 01 03 05'),
    );
  });

  test('hypervisor §2.1 CreateVM request and response', () => {
    const key = 'io.kubernetes.cri.sandbox-name';
    const payload = hex(`0a 03 73 62 31 12 23 0a 1e ${ascii(key)} 12 01 70 1a 02 2f 6e`);
    const expected = hex(`00 00 00 51 00 00 00 03 01 00 0a 15 ${ascii('hypervisor.Hypervisor')}
      12 08 ${ascii('CreateVM')} 1a 2e`);
    const encoded = concat(
      encodeRequestFrame(3, 0, {
        service: 'hypervisor.Hypervisor',
        method: 'CreateVM',
        payload,
        timeoutNano: 0,
        metadata: [],
      }),
    );
    assert.deepEqual(encoded, Buffer.concat([expected, payload]));
    const path = '/run/peerpod/pods/sb1/agent.ttrpc';
    const response = hex(`00 00 00 25 00 00 00 03 02 00 12 23 0a 21 ${ascii(path)}`);
    assert.deepEqual(concat(encodeResponseFrame(3, { payload: hex(`0a 21 ${ascii(path)}`) })), response);
  });

  test('a negative timeout_nano is a 10-byte two’s complement varint, and decodes back', () => {
    const encoded = concat(
      encodeRequestFrame(1, 0, {
        service: 's',
        method: 'm',
        payload: new Uint8Array(0),
        timeoutNano: -5,
        metadata: [],
      }),
    );
    assert.deepEqual(encoded.subarray(16), hex('20 fb ff ff ff ff ff ff ff ff 01'));
    assert.equal(decodeRequest(readOne(encoded).body).timeoutNano, -5);
  });

  test('large payloads are passed by reference (writev), small ones copied into one buffer', () => {
    const big = Buffer.alloc(64 * 1024, 7);
    const parts = encodeRequestFrame(1, 0, {
      service: 's',
      method: 'm',
      payload: big,
      timeoutNano: 1,
      metadata: [],
    });
    assert.equal(parts.length, 3);
    assert.equal(parts[1], big);
    const small = encodeRequestFrame(1, 0, {
      service: 's',
      method: 'm',
      payload: Buffer.alloc(100),
      timeoutNano: 1,
      metadata: [],
    });
    assert.equal(small.length, 1);
    // Either way the bytes are the same frame.
    const request = decodeRequest(readOne(concat(parts)).body);
    assert.deepEqual(Buffer.from(request.payload), big);
    assert.equal(request.timeoutNano, 1);
  });
});

describe('envelope decoding is tolerant as protobuf requires', () => {
  test('fields in any order, unknown fields skipped, last scalar wins', () => {
    const body = hex(`
      2a 06 0a 01 6b 12 01 76 30 ff 01 38 01
      12 01 6d 0a 01 73 12 01 4d 1a 02 ab cd 45 01 02 03 04 09 01 02 03 04 05 06 07 08`);
    // tag 0x30 = field 6 varint; 0x38 field 7 varint; 0x45 field 8 fixed32; 0x09 field 1 fixed64 (unknown type for service)
    const request = decodeRequest(body);
    assert.equal(request.service, 's');
    assert.equal(request.method, 'M');
    assert.deepEqual(Buffer.from(request.payload), hex('ab cd'));
    assert.deepEqual(request.metadata, [{ key: 'k', value: 'v' }]);
  });

  test('map-style entries with a missing or empty value decode to ""', () => {
    const request = decodeRequest(hex(`2a 03 0a 01 6b 2a 05 0a 01 6a 12 00`));
    assert.deepEqual(request.metadata, [
      { key: 'k', value: '' },
      { key: 'j', value: '' },
    ]);
  });

  test('truncated and malformed envelopes throw instead of returning garbage', () => {
    for (const bad of ['ff ff', '0a 05 61', '1a', '0b', '00', '2a 05 0a 09 61']) {
      assert.throws(() => decodeRequest(hex(bad)), WireFormatError, bad);
    }
  });
});

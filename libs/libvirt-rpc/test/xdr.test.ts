import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  decodeHeader,
  encodePacket,
  HEADER_SIZE,
  MESSAGE_MAX,
  PacketSplitter,
  PacketStatus,
  PacketType,
} from '../src/packet';
import { XdrError, XdrReader, XdrWriter } from '../src/xdr';

test('XDR values round-trip with big-endian words and four-byte padding', () => {
  const uuid = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
  const bytes = new XdrWriter(4)
    .int(-5)
    .uint(0xfffffffe)
    .uhyper(2n ** 40n)
    .hyper(-3n)
    .bool(true)
    .string('abcde')
    .fixedOpaque(uuid)
    .optionalString(null)
    .optionalString('x')
    .bytes();
  // 4+4+8+8+4 + (4+8) + 16 + 4 + (4+4+4)
  assert.equal(bytes.length, 72);
  assert.deepEqual([...bytes.subarray(28, 40)], [0, 0, 0, 5, 0x61, 0x62, 0x63, 0x64, 0x65, 0, 0, 0]);
  const reader = new XdrReader(bytes);
  assert.equal(reader.int(), -5);
  assert.equal(reader.uint(), 0xfffffffe);
  assert.equal(reader.uhyper(), 2n ** 40n);
  assert.equal(reader.hyper(), -3n);
  assert.equal(reader.bool(), true);
  assert.equal(reader.string(100), 'abcde');
  assert.ok(reader.fixedOpaque(16).equals(uuid));
  assert.equal(reader.optionalString(100), null);
  assert.equal(reader.optionalString(100), 'x');
  assert.equal(reader.remaining, 0);
});

test('a reader refuses truncated data, lengths over the limit, and bad booleans, naming what', () => {
  assert.throws(() => new XdrReader(Buffer.alloc(2)).int(), /truncated XDR data: int needs 4 bytes/);
  const long = new XdrWriter().string('x'.repeat(50)).bytes();
  assert.throws(
    () => new XdrReader(long).string(10, 'domain name'),
    /domain name of 50 bytes is over the protocol's limit of 10/,
  );
  assert.throws(() => new XdrReader(new XdrWriter().int(2).bytes()).bool(), /invalid XDR bool 2/);
  const array = new XdrWriter().uint(5).bytes();
  assert.throws(() => new XdrReader(array).array(4, 'domains', (r) => r.int()), XdrError);
});

test('packets are split out of a byte stream however it is chunked, and bad lengths are refused', () => {
  const header = {
    program: 0x20008086,
    version: 1,
    procedure: 273,
    type: PacketType.Reply,
    serial: 7,
    status: PacketStatus.Ok,
  };
  const one = encodePacket(header, Buffer.from([1, 2, 3, 4]));
  const two = encodePacket({ ...header, serial: 8 }, Buffer.alloc(300_000, 9));
  const stream = Buffer.concat([one, two]);
  for (const size of [1, 3, 28, 1000, stream.length]) {
    const splitter = new PacketSplitter();
    const packets: Buffer[] = [];
    for (let at = 0; at < stream.length; at += size)
      packets.push(...splitter.push(stream.subarray(at, at + size)));
    assert.equal(packets.length, 2, `chunks of ${size}`);
    assert.deepEqual(decodeHeader(packets[0]!), header);
    assert.equal(decodeHeader(packets[1]!).serial, 8);
    assert.equal(packets[1]!.length, HEADER_SIZE + 300_000);
  }
  const bad = Buffer.alloc(8);
  bad.writeUInt32BE(MESSAGE_MAX + 1, 0);
  assert.throws(() => new PacketSplitter().push(bad), /invalid libvirt message length/);
  assert.throws(() => encodePacket(header, Buffer.alloc(MESSAGE_MAX)), /over the protocol's limit/);
});

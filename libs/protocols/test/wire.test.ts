// Generated messages against the worked bytes of the specs, and against @peerpods/ttrpc's
// hand-written envelope codec (two independent encoders must agree byte for byte).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeRequest, decodeResponse, encodeRequestFrame, encodeResponseFrame } from '@peerpods/ttrpc';
import { agent, health, hypervisor, ttrpcEnvelope } from '../src/index';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const ascii = (text: string) => Buffer.from(text).toString('hex');
const body = (parts: Uint8Array[]) => Buffer.concat(parts).subarray(10);

describe('hypervisor messages', () => {
  test('CreateVM of docs/ttrpc.md §7.6 decodes and re-encodes to the same bytes', () => {
    const key = 'io.kubernetes.cri.sandbox-name';
    const payload = hex(`0a 03 73 62 31 12 23 0a 1e ${ascii(key)} 12 01 70 1a 02 2f 6e`);
    const request = hypervisor.CreateVMRequest.decode(payload);
    assert.equal(request.id, 'sb1');
    assert.deepEqual(request.annotations, { [key]: 'p' });
    assert.equal(request.networkNamespacePath, '/n');
    assert.deepEqual(Buffer.from(hypervisor.CreateVMRequest.encode(request).finish()), payload);
  });

  test('map entries with an empty value (`12 00`) or no value field both decode to ""', () => {
    const payload = hex(`0a 01 78 12 05 0a 01 61 12 00 12 03 0a 01 62`);
    assert.deepEqual(hypervisor.CreateVMRequest.decode(payload).annotations, { a: '', b: '' });
  });

  test('CreateVMResponse and the empty StartVMResponse', () => {
    const path = '/run/peerpod/pods/sb1/agent.ttrpc';
    assert.deepEqual(
      Buffer.from(hypervisor.CreateVMResponse.encode({ agentSocketPath: path }).finish()),
      hex(`0a 21 ${ascii(path)}`),
    );
    assert.equal(hypervisor.StartVMResponse.encode({}).finish().length, 0);
  });
});

describe('agent messages', () => {
  test('Health Check answer SERVING is `08 01`', () => {
    const encoded = health.HealthCheckResponse.encode({
      status: health.HealthCheckResponse_ServingStatus.SERVING,
    }).finish();
    assert.deepEqual(Buffer.from(encoded), hex('08 01'));
  });

  test('fields this schema does not know survive decode → change → encode', () => {
    const original = agent.CreateSandboxRequest.encode(
      agent.CreateSandboxRequest.fromPartial({
        hostname: 'pod',
        dns: ['nameserver 10.0.0.10'],
        sandboxId: 'sb',
      }),
    ).finish();
    const withUnknown = Buffer.concat([original, hex('f8 07 2a 9a 05 02 ff ee')]); // fields 127 and 83
    const decoded = agent.CreateSandboxRequest.decode(withUnknown);
    decoded.dns = [];
    const reencoded = Buffer.from(agent.CreateSandboxRequest.encode(decoded).finish());
    assert.ok(reencoded.includes(hex('f8 07 2a')), 'field 127 kept');
    assert.ok(reencoded.includes(hex('9a 05 02 ff ee')), 'field 83 kept');
    assert.equal(agent.CreateSandboxRequest.decode(reencoded).dns.length, 0);
  });
});

describe('ttrpc envelope: hand-written codec ≡ generated code', () => {
  const cases = [
    {
      service: 'grpc.AgentService',
      method: 'CreateContainer',
      payload: Buffer.alloc(0),
      timeoutNano: 0,
      metadata: [],
    },
    {
      service: 'hypervisor.Hypervisor',
      method: 'StartVM',
      payload: hex('0a 03 73 62 31'),
      timeoutNano: 599_999_950_987,
      metadata: [
        { key: 'traceparent', value: '00-abc-01' },
        { key: 'k', value: '' },
      ],
    },
    { service: 'ü.Ünïcode', method: 'M', payload: Buffer.alloc(70_000, 9), timeoutNano: -1, metadata: [] },
  ];

  test('requests encode to the same bytes and decode to the same values', () => {
    for (const request of cases) {
      const ours = body(encodeRequestFrame(1, 0, request));
      const generated = Buffer.from(
        ttrpcEnvelope.Request.encode(
          ttrpcEnvelope.Request.fromPartial({ ...request, timeoutNano: BigInt(request.timeoutNano) }),
        ).finish(),
      );
      assert.deepEqual(ours, generated, request.method);
      const back = decodeRequest(generated);
      assert.equal(back.service, request.service);
      assert.equal(back.timeoutNano, request.timeoutNano);
      assert.deepEqual(back.metadata, request.metadata);
    }
  });

  test('responses encode to the same bytes, success and error', () => {
    const ok = body(encodeResponseFrame(1, { payload: hex('08 01') }));
    assert.deepEqual(
      ok,
      Buffer.from(
        ttrpcEnvelope.Response.encode(ttrpcEnvelope.Response.fromPartial({ payload: hex('08 01') })).finish(),
      ),
    );
    const failed = body(
      encodeResponseFrame(1, { status: { code: 5, message: 'nope', details: [] }, payload: Buffer.alloc(0) }),
    );
    const generated = ttrpcEnvelope.Response.encode(
      ttrpcEnvelope.Response.fromPartial({ status: { code: 5, message: 'nope' } }),
    ).finish();
    assert.deepEqual(failed, Buffer.from(generated));
    assert.deepEqual(decodeResponse(generated).status, { code: 5, message: 'nope', details: [] });
  });
});

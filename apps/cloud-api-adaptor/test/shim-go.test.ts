// The daemon against a real Go ttrpc client playing the kata shim (tools/ttrpc-go-peer `shim`):
// Version, CreateVM, StartVM, agent calls through agent.ttrpc, StopVM; every payload byte must reach
// the forwarder stand-in unchanged and every response come back unchanged.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { agent } from '@peerpods/protocols';
import { goPeerBinary } from '@peerpods/ttrpc-go-peer';
import { TLS_STATE_FILE } from '../src/tls-state';
import { standInResponse } from './fixtures/forwarder-standin';
import { sandboxId, startTestDaemon, tempDir } from './harness';

const run = promisify(execFile);

interface StepResult {
  ok: boolean;
  code: number;
  message: string;
  responseHex?: string;
  agentSocketPath?: string;
  version?: string;
  identical?: number;
}

test('a Go shim drives a sandbox end to end; agent bytes cross unchanged both ways', {
  timeout: 60_000,
}, async () => {
  const caa = await startTestDaemon();
  const id = sandboxId(1);
  const createContainer = agent.CreateContainerRequest.encode(
    agent.CreateContainerRequest.fromPartial({
      containerId: 'c1',
      OCI: { Version: '1.1.0', Annotations: { 'io.kubernetes.cri.container-name': 'nginx' } },
    }),
  ).finish();
  const random = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
  const withUnknownFields = Buffer.from('0a02633112046578656398062a9a0503ffeedd', 'hex');
  const calls = [
    { service: 'grpc.Health', method: 'Check', payloadHex: '', timeoutMs: 30_000 },
    {
      service: 'grpc.AgentService',
      method: 'CreateContainer',
      payloadHex: Buffer.from(createContainer).toString('hex'),
      timeoutMs: 60_000,
    },
    {
      service: 'grpc.AgentService',
      method: 'ExecProcess',
      payloadHex: withUnknownFields.toString('hex'),
      timeoutMs: 60_000,
    },
    { service: 'grpc.AgentService', method: 'WriteStdin', payloadHex: random.toString('hex'), timeoutMs: 0 },
    {
      service: 'grpc.AgentService',
      method: 'ReadStdout',
      payloadHex: '0a0263311204657865631880',
      timeoutMs: 60_000,
      concurrent: 20,
    },
    { service: 'grpc.AgentService', method: 'GetGuestDetails', payloadHex: '0801', timeoutMs: 60_000 },
  ];
  const callsFile = join(tempDir(), 'calls.json');
  writeFileSync(callsFile, JSON.stringify(calls));
  const { stdout } = await run(
    goPeerBinary(),
    [
      'shim',
      '--socket',
      caa.socketPath,
      '--id',
      id,
      '--annotation',
      'io.kubernetes.cri.sandbox-name=nginx',
      '--annotation',
      'io.kubernetes.cri.sandbox-namespace=default',
      '--netns',
      '/var/run/netns/cni-1234',
      '--agent-calls',
      callsFile,
      '--agent-dial-timeout-s',
      '10',
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const result = JSON.parse(stdout) as Record<string, StepResult> & { agentCalls: StepResult[] };

  assert.equal(result.version?.version, '0.0.0');
  assert.equal(result.createVM?.ok, true, result.createVM?.message);
  assert.equal(result.createVM?.agentSocketPath, join(caa.podsDir, id, 'agent.ttrpc'));
  assert.equal(result.startVM?.ok, true, result.startVM?.message);
  for (const [index, call] of calls.entries()) {
    const got = result.agentCalls[index]!;
    assert.equal(got.ok, true, `${call.method}: ${got.message}`);
    assert.equal(
      got.responseHex,
      standInResponse(call.method, Buffer.from(call.payloadHex, 'hex')).toString('hex'),
      call.method,
    );
  }
  assert.equal(result.agentCalls[4]?.identical, 20);
  assert.equal(result.stopVM?.ok, true, result.stopVM?.message);

  // What the forwarder stand-in received: the same bytes, and the shim's deadlines passed on.
  assert.equal(caa.state.deleted.length, 1);
  const received = caa.state.forwarders.get(caa.state.deleted[0]!)!.calls;
  for (const call of calls.filter((c) => !c.concurrent)) {
    const seen = received.find((r) => r.method === call.method)!;
    assert.equal(seen.payload.toString('hex'), call.payloadHex, `${call.method} payload`);
    if (call.timeoutMs)
      assert.ok(seen.timeoutMs! > 0 && seen.timeoutMs! <= call.timeoutMs, `${call.method} deadline`);
    else assert.equal(seen.timeoutMs, undefined);
  }
  assert.equal(received.filter((r) => r.method === 'ReadStdout').length, 20);
  assert.equal(caa.state.instances.size, 0);
  assert.ok(!existsSync(join(caa.podsDir, id)), 'the pod directory is removed');
  assert.deepEqual(readdirSync(caa.podsDir), [TLS_STATE_FILE], 'only the saved CA, while the daemon runs');
  assert.ok(
    caa.logs.some((line) =>
      /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[adaptor\/cloud\] create a sandbox a+1 for pod nginx in namespace default \(netns: \/var\/run\/netns\/cni-1234\)\n$/.test(
        line,
      ),
    ),
    'the CreateVM log line upstream e2e parses',
  );
});

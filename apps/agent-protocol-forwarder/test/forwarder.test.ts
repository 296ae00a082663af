import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import tls from 'node:tls';
import { AgentService, agent, HealthService, methodNames } from '@peerpods/protocols';
import { CertificateAuthority, createSelfSignedClientCertificate } from '@peerpods/tls';
import { TtrpcClient, TtrpcError } from '@peerpods/ttrpc';
import { agentAnswer, forwarderWithAgent, INSTANCE, startTestAgent } from './harness';

async function callFails(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  assert.fail('the call succeeded');
}

describe('TLS, with certificates issued the way cloud-api-adaptor issues them', () => {
  test('a client without a certificate is refused', async () => {
    const { forwarder, pki } = await forwarderWithAgent();
    const error = await callFails(
      TtrpcClient.connect({
        host: '127.0.0.1',
        port: forwarder.address.port,
        tls: { ca: pki.ca.certPem, servername: INSTANCE },
      }).then((client) =>
        client.call('grpc.Health', 'Check', new Uint8Array(0)).finally(() => client.close()),
      ),
    );
    assert.match(error.message, /certificate required|ttrpc: closed|ECONNRESET|socket hang up/i);
  });

  test('a client whose certificate comes from another CA is refused', async () => {
    const { forwarder, pki } = await forwarderWithAgent();
    const stranger = await createSelfSignedClientCertificate('cloud-api-adaptor');
    const error = await callFails(
      TtrpcClient.connect({
        host: '127.0.0.1',
        port: forwarder.address.port,
        tls: { ca: pki.ca.certPem, servername: INSTANCE, cert: stranger.certPem, key: stranger.keyPem },
      }).then((client) =>
        client.call('grpc.Health', 'Check', new Uint8Array(0)).finally(() => client.close()),
      ),
    );
    assert.match(error.message, /ttrpc: closed|unknown ca|ECONNRESET|socket hang up|alert/i);
  });

  test('a TLS 1.1 client is refused', async () => {
    const { forwarder, pki } = await forwarderWithAgent();
    const error = await new Promise<Error>((resolve) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port: forwarder.address.port,
        ca: pki.ca.certPem,
        servername: INSTANCE,
        cert: pki.client.certPem,
        key: pki.client.keyPem,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT@SECLEVEL=0',
      });
      socket.on('secureConnect', () => resolve(new Error('handshake succeeded')));
      socket.on('error', resolve);
    });
    assert.match(error.message, /protocol version|unsupported protocol|no protocols available/i);
  });

  test('a server certificate the daemon would not accept (another CA) is what the daemon refuses', async () => {
    const { forwarder, pki } = await forwarderWithAgent();
    const other = await CertificateAuthority.create();
    const error = await callFails(
      TtrpcClient.connect({
        host: '127.0.0.1',
        port: forwarder.address.port,
        tls: { ca: other.certPem, servername: INSTANCE, cert: pki.client.certPem, key: pki.client.keyPem },
      }),
    );
    assert.match(error.message, /unable to verify|self-signed|certificate/i);
  });
});

describe('forwarding', () => {
  test('every method other than the rewritten two reaches kata-agent byte for byte, and its answer comes back', async () => {
    const { connect, agent: testAgent } = await forwarderWithAgent();
    const client = await connect();
    const services: Array<[string, string[]]> = [
      [
        AgentService.fullName,
        methodNames(AgentService).filter((m) => m !== 'CreateContainer' && m !== 'CreateSandbox'),
      ],
      [HealthService.fullName, methodNames(HealthService)],
    ];
    let index = 0;
    for (const [service, methods] of services) {
      for (const method of methods) {
        const payload = Buffer.from(Array.from({ length: 50 + index * 7 }, (_, i) => (i * 31 + index) % 256));
        index++;
        const answer = await client.call(service, method, payload, { timeoutMs: 5000 });
        assert.deepEqual(Buffer.from(answer), agentAnswer(method, payload), method);
        const seen = testAgent.calls.at(-1)!;
        assert.equal(`${seen.service}/${seen.method}`, `${service}/${method}`);
        assert.deepEqual(seen.payload, payload, `${method} payload`);
      }
    }
    assert.equal(index, 42);
    client.close();
  });

  test('CreateContainer joins the pod network namespace and gets missing bind sources created', async () => {
    const { connect, agent: testAgent, dir } = await forwarderWithAgent({}, '/run/netns/podns');
    const missing = join(dir, 'volumes', 'data');
    const client = await connect();
    const request = agent.CreateContainerRequest.fromPartial({
      containerId: 'c1',
      OCI: {
        Mounts: [
          { destination: '/data', source: missing, type: 'bind', options: ['rbind'] },
          { destination: '/proc', source: 'proc', type: 'proc', options: [] },
        ],
        Linux: { Namespaces: [{ Type: 'pid', Path: '' }] },
        Annotations: { keep: 'me' },
      },
    });
    await client.call(
      'grpc.AgentService',
      'CreateContainer',
      agent.CreateContainerRequest.encode(request).finish(),
    );
    const seen = agent.CreateContainerRequest.decode(testAgent.calls.at(-1)!.payload);
    assert.deepEqual(
      seen.OCI?.Linux?.Namespaces.map((ns) => [ns.Type, ns.Path]),
      [
        ['pid', ''],
        ['network', '/run/netns/podns'],
      ],
    );
    assert.ok(existsSync(missing), 'the bind source was created');
    assert.equal(seen.containerId, 'c1');
    assert.deepEqual(seen.OCI?.Annotations, { keep: 'me' });
    assert.equal(seen.OCI?.Mounts.length, 2);
    client.close();
  });

  test('a bind source that cannot be created fails CreateContainer with code 2 (not a hang), and the forwarder keeps serving', async () => {
    const { connect, agent: testAgent } = await forwarderWithAgent({}, '/run/netns/podns');
    const client = await connect();
    const before = testAgent.calls.length;
    const request = agent.CreateContainerRequest.fromPartial({
      containerId: 'c2',
      // Node 20's recursive mkdir looped forever on such a path, blocking the whole forwarder.
      OCI: {
        Mounts: [{ destination: '/x', source: '/proc/peerpods-no-such/x', type: 'bind', options: ['rbind'] }],
      },
    });
    await assert.rejects(
      client.call(
        'grpc.AgentService',
        'CreateContainer',
        agent.CreateContainerRequest.encode(request).finish(),
        {
          timeoutMs: 10_000,
        },
      ),
      (error: TtrpcError) =>
        error.code === 2 &&
        /creating bind mount source \/proc\/peerpods-no-such\/x: ENOENT/.test(error.message),
    );
    assert.equal(testAgent.calls.length, before, 'nothing reached kata-agent');
    await client.call('grpc.AgentService', 'ListRoutes', new Uint8Array(0), { timeoutMs: 5000 });
    assert.equal(testAgent.calls.at(-1)?.method, 'ListRoutes');
    client.close();
  });

  test('CreateSandbox reaches kata-agent with dns cleared and nothing else changed', async () => {
    const { connect, agent: testAgent } = await forwarderWithAgent();
    const client = await connect();
    const request = agent.CreateSandboxRequest.fromPartial({
      hostname: 'nginx',
      dns: ['nameserver 10.96.0.10', 'search default.svc.cluster.local'],
      sandboxId: 'sb1',
      sandboxPidns: true,
    });
    await client.call(
      'grpc.AgentService',
      'CreateSandbox',
      agent.CreateSandboxRequest.encode(request).finish(),
    );
    const seen = agent.CreateSandboxRequest.decode(testAgent.calls.at(-1)!.payload);
    assert.deepEqual(seen.dns, []);
    assert.equal(seen.hostname, 'nginx');
    assert.equal(seen.sandboxId, 'sb1');
    assert.equal(seen.sandboxPidns, true);
    client.close();
  });

  test('metadata and the deadline are passed on to kata-agent', async () => {
    const { connect, agent: testAgent } = await forwarderWithAgent();
    const client = await connect();
    await client.call('grpc.AgentService', 'ListRoutes', new Uint8Array(0), {
      metadata: [{ key: 'traceparent', value: '00-abc-01' }],
      timeoutMs: 5000,
    });
    assert.deepEqual(testAgent.calls.at(-1)?.metadata, [{ key: 'traceparent', value: '00-abc-01' }]);
    client.close();
  });

  test('when kata-agent’s socket disappears, calls fail cleanly; when it comes back, they recover', {
    timeout: 30_000,
  }, async () => {
    const { connect, agent: testAgent, agentPath } = await forwarderWithAgent();
    const client = await connect();
    await client.call('grpc.Health', 'Check', new Uint8Array(0));
    await testAgent.stop();
    const whileGone = await callFails(
      client.call('grpc.Health', 'Check', new Uint8Array(0), { timeoutMs: 500 }),
    );
    assert.ok(whileGone instanceof TtrpcError, String(whileGone));
    assert.ok([4, 14].includes(whileGone.code), `code ${whileGone.code}: ${whileGone.message}`);
    const revived = await startTestAgent(agentPath);
    try {
      const answer = await client.call('grpc.Health', 'Check', Buffer.from('x'), { timeoutMs: 5000 });
      assert.deepEqual(Buffer.from(answer), agentAnswer('Check', Buffer.from('x')));
      assert.equal(revived.calls.length, 1);
    } finally {
      client.close();
      await revived.stop();
    }
  });
});

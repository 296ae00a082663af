import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { silentLogger } from '@peerpods/log';
import { parsePromText, promValue } from '@peerpods/test-support';
import { TtrpcClient } from '@peerpods/ttrpc';
import { startForwarderMetrics } from '../src/forwarder-metrics';
import { forwarderWithAgent, INSTANCE } from './harness';

test('--metrics-addr: calls by method and code, accepted connections, failed TLS handshakes, open connections', async () => {
  const metrics = await startForwarderMetrics({ host: '127.0.0.1', port: 0 }, silentLogger);
  after(() => metrics.close());
  const { forwarder, pki, agent, connect } = await forwarderWithAgent({}, '/run/netns/podns', metrics);
  const scrape = async () => {
    const response = await fetch(`http://127.0.0.1:${metrics.address.port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
    return parsePromText(await response.text());
  };

  const client = await connect();
  await client.call('grpc.Health', 'Check', new Uint8Array(0));
  await client.call('grpc.Health', 'Check', new Uint8Array(0));
  await client.call('grpc.AgentService', 'StartContainer', new Uint8Array(0));
  // Without a client certificate: the handshake fails and no call is made.
  await TtrpcClient.connect({
    host: '127.0.0.1',
    port: forwarder.address.port,
    tls: { ca: pki.ca.certPem, servername: INSTANCE },
  })
    .then((stranger) =>
      stranger.call('grpc.Health', 'Check', new Uint8Array(0)).finally(() => stranger.close()),
    )
    .catch(() => {});

  const open = await scrape();
  assert.equal(promValue(open, 'peerpods_forwarder_calls_total', { method: 'Check', code: 'OK' }), 2);
  assert.equal(
    promValue(open, 'peerpods_forwarder_calls_total', { method: 'StartContainer', code: 'OK' }),
    1,
  );
  assert.equal(promValue(open, 'peerpods_forwarder_connections_total'), 1);
  assert.equal(promValue(open, 'peerpods_forwarder_tls_handshake_failures_total'), 1);
  assert.equal(promValue(open, 'peerpods_forwarder_open_connections'), 1);

  // kata-agent gone: the call fails, and is counted by its code.
  await agent.stop();
  await assert.rejects(client.call('grpc.AgentService', 'StartContainer', new Uint8Array(0)));
  client.close();
  const closed = await scrape();
  const failed = closed.filter(
    (sample) =>
      sample.name === 'peerpods_forwarder_calls_total' &&
      sample.labels.method === 'StartContainer' &&
      sample.labels.code !== 'OK',
  );
  assert.equal(failed.length, 1, JSON.stringify(failed));
  assert.equal(failed[0]!.value, 1);

  const missing = await fetch(`http://127.0.0.1:${metrics.address.port}/other`);
  assert.equal(missing.status, 404);
  const posted = await fetch(`http://127.0.0.1:${metrics.address.port}/metrics`, { method: 'POST' });
  assert.equal(posted.status, 405);
});

test('--metrics-addr on a port already taken: the error names the flag and the address', async () => {
  const first = await startForwarderMetrics({ host: '127.0.0.1', port: 0 }, silentLogger);
  after(() => first.close());
  await assert.rejects(
    startForwarderMetrics({ host: '127.0.0.1', port: first.address.port }, silentLogger),
    new RegExp(`-metrics-addr: cannot listen on 127\\.0\\.0\\.1:${first.address.port}: EADDRINUSE`),
  );
});

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { loadPrometheus, startMetricsServer } from '../src/index';

test("a registry's metrics and Node's process metrics at /metrics; other paths 404, other methods 405", async () => {
  const { prom, registry } = await loadPrometheus();
  const counter = new prom.Counter({ name: 'test_things_total', help: 'things', registers: [registry] });
  counter.inc(3);
  const server = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 });
  after(() => server.close());
  const url = `http://127.0.0.1:${server.address.port}`;
  const response = await fetch(`${url}/metrics`);
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), registry.contentType);
  const text = await response.text();
  assert.match(text, /^test_things_total 3$/m);
  assert.match(text, /^process_resident_memory_bytes \d+/m);
  assert.equal((await fetch(`${url}/`)).status, 404);
  assert.equal((await fetch(`${url}/metrics`, { method: 'POST' })).status, 405);
  assert.equal(await (await fetch(`${url}/metrics`, { method: 'HEAD' })).text(), '');
});

test('a taken port fails naming the flag; with reusePort two servers share one', async () => {
  const { registry } = await loadPrometheus();
  const first = await startMetricsServer(registry, { host: '127.0.0.1', port: 0 }, { reusePort: true });
  after(() => first.close());
  const { port } = first.address;
  await assert.rejects(
    startMetricsServer(registry, { host: '127.0.0.1', port }, { flag: '-metrics-addr' }),
    new RegExp(`^Error: -metrics-addr: cannot listen on 127\\.0\\.0\\.1:${port}: EADDRINUSE$`),
  );
  const second = await startMetricsServer(registry, { host: '127.0.0.1', port }, { reusePort: true });
  after(() => second.close());
  assert.equal(second.address.port, port);
});

// Figures for the README: (1) CreateContainer + StartContainer + first ReadStdout round trip against the
// built binary on a unix socket (as root, a second series runs the process in a netns through nsenter),
// (2) the binary's `--version` wall time. Run after the build: npm run bench -w tools/dev-agent [-- runs]
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AgentService, agent, oci } from '@peerpods/protocols';
import { createServiceClient, type ServiceClient, TtrpcClient } from '@peerpods/ttrpc';

const runs = Number(process.argv[2] ?? 50);
const binary = resolve(import.meta.dirname, '../../../dist/bin/dev-agent');
if (!existsSync(binary)) throw new Error(`${binary} is missing: npm run build -w tools/dev-agent`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function series(
  client: ServiceClient<typeof AgentService>,
  label: string,
  netns: string | undefined,
): Promise<void> {
  const trips: number[] = [];
  for (let i = 0; i < runs + 5; i++) {
    const id = `bench-${label}-${i}`;
    const started = process.hrtime.bigint();
    await client.createContainer(
      agent.CreateContainerRequest.fromPartial({
        containerId: id,
        OCI: oci.Spec.fromPartial({
          Process: { Args: ['echo', 'hi'], Env: ['PATH=/usr/bin:/bin'], Cwd: '/' },
          Linux: { Namespaces: netns === undefined ? [] : [{ Type: 'network', Path: netns }] },
        }),
      }),
    );
    await client.startContainer({ containerId: id });
    await client.readStdout(agent.ReadStreamRequest.fromPartial({ containerId: id, len: 1024 }));
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    // The first few warm up the agent's JIT.
    if (i >= 5) trips.push(ms);
    await client.removeContainer({ containerId: id, timeout: 0 });
  }
  console.log(
    `create+start+first read (echo hi, ${label}), ${runs} runs: median ${percentile(trips, 50).toFixed(2)} ms, ` +
      `p90 ${percentile(trips, 90).toFixed(2)} ms`,
  );
}

const dir = mkdtempSync(join(tmpdir(), 'dev-agent-bench-'));
const socket = join(dir, 'agent.sock');
const netnsName = `dva-bench-${process.pid}`;
const asRoot = process.getuid?.() === 0;
const child = spawn(binary, ['--socket', socket], { stdio: ['ignore', 'pipe', 'inherit'] });
try {
  if (asRoot) execFileSync('ip', ['netns', 'add', netnsName]);
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  while (!output.includes('serving')) await new Promise((r) => setTimeout(r, 10));
  const connection = await TtrpcClient.connect({ path: socket });
  const client = createServiceClient(AgentService, connection);
  await series(client, 'agent netns', undefined);
  if (asRoot) await series(client, 'pod netns via nsenter', `/run/netns/${netnsName}`);
  connection.close();
} finally {
  child.kill('SIGTERM');
  await once(child, 'exit');
  rmSync(dir, { recursive: true, force: true });
  if (asRoot) execFileSync('ip', ['netns', 'del', netnsName], { stdio: 'ignore' });
}

const versions: number[] = [];
for (let i = 0; i < 20; i++) {
  const started = process.hrtime.bigint();
  execFileSync(binary, ['--version'], { stdio: 'ignore' });
  versions.push(Number(process.hrtime.bigint() - started) / 1e6);
}
console.log(`dev-agent --version, 20 runs: median ${percentile(versions, 50).toFixed(0)} ms`);

// How this client compares with driving virsh: one call on an open connection, a whole
// connect-call-close, and `virsh list` (a process per call), against the same sandboxed libvirtd.
import { execFileSync } from 'node:child_process';
import { startLibvirtSandbox } from '@peerpods/libvirt-sandbox';
import { LibvirtClient } from '../src/index';

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function timeEach(runs: number, step: () => Promise<unknown> | unknown): Promise<number> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await step();
    times.push(performance.now() - started);
  }
  return median(times);
}

const sandbox = await startLibvirtSandbox({ prefix: 'lvbench' });
try {
  const uri = sandbox.uri('test', '/default');
  const client = await LibvirtClient.connect(uri);
  await client.listAllDomains();
  const call = await timeEach(500, () => client.listAllDomains());
  await client.close();
  const whole = await timeEach(100, async () => {
    const once = await LibvirtClient.connect(uri);
    await once.listAllDomains();
    await once.close();
  });
  const virsh = await timeEach(30, () =>
    execFileSync('virsh', ['-q', '-c', uri, 'list', '--all'], { stdio: 'ignore' }),
  );
  console.log('libvirt list-all-domains, test driver through the daemon, medians:');
  console.log(`  call on an open connection   ${(call * 1000).toFixed(0).padStart(7)} µs`);
  console.log(`  connect + call + close       ${(whole * 1000).toFixed(0).padStart(7)} µs`);
  console.log(
    `  virsh list --all (a process) ${(virsh * 1000).toFixed(0).padStart(7)} µs   = ${(virsh / call).toFixed(0)}x a call, ${(virsh / whole).toFixed(1)}x a connection`,
  );
} finally {
  await sandbox.stop();
}

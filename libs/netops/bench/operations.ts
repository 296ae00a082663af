// What one change to the kernel costs, three ways, in a throwaway namespace: (a) one `ip` process per
// operation, (b) one `ip -batch -` for all of them, (c) the `netlink` npm package (N-API, in a child
// process under `ip netns exec`, because a netlink socket belongs to its process's namespace).
// Usage: npm run bench -w libs/netops (root; BENCH_ROUNDS, default 7; medians of per-operation ms).
import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { createNetns, deleteNetns, detectIptables, ipBatch, listLinks, runIp } from '../src/index';
import { medianOf } from './stats';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ADDRS = 50;
const LINKS = 10;
const exec = promisify(execFile);

if (process.getuid?.() !== 0) {
  console.error('the benchmark needs root: it creates a network namespace');
  process.exit(1);
}

const name = `pp-bench-${process.pid}`;
const netns = await createNetns(name);
try {
  await ipBatch(['link add b0 type veth peer name b1', 'link set b0 up', 'link set b1 up'], { netns });
  const addr = (i: number) => `10.77.${i}.1/32`;
  const vxlan = (i: number) =>
    `link add ipvx${i} type vxlan id ${600000 + i} remote 198.51.100.2 dstport 4789`;
  const perOp = async (n: number, run: () => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    await run();
    return (performance.now() - start) / n;
  };
  const spawnEach = (n: number, line: (i: number) => string) =>
    perOp(n, async () => {
      for (let i = 0; i < n; i++) await runIp(line(i).split(' '), { netns });
    });
  const batchAll = (n: number, line: (i: number) => string) =>
    perOp(n, () =>
      ipBatch(
        Array.from({ length: n }, (_, i) => line(i)),
        { netns },
      ),
    );
  const addAddr = (i: number) => `addr add ${addr(i)} dev b0`;
  const delAddr = (i: number) => `addr del ${addr(i)} dev b0`;
  const delLink = (i: number) => `link del ipvx${i}`;

  const spawn = {
    addrAdd: await medianOf(ROUNDS, async () => {
      const t = await spawnEach(ADDRS, addAddr);
      await batchAll(ADDRS, delAddr);
      return t;
    }),
    addrDel: await medianOf(ROUNDS, async () => {
      await batchAll(ADDRS, addAddr);
      return spawnEach(ADDRS, delAddr);
    }),
    linkAdd: await medianOf(ROUNDS, async () => {
      const t = await spawnEach(LINKS, vxlan);
      await batchAll(LINKS, delLink);
      return t;
    }),
    linkDel: await medianOf(ROUNDS, async () => {
      await batchAll(LINKS, vxlan);
      return spawnEach(LINKS, delLink);
    }),
    getLinks: await medianOf(ROUNDS, () => perOp(1, () => listLinks({ netns }))),
  };
  const batch = {
    addrAdd: await medianOf(ROUNDS, async () => {
      const t = await batchAll(ADDRS, addAddr);
      await batchAll(ADDRS, delAddr);
      return t;
    }),
    addrDel: await medianOf(ROUNDS, async () => {
      await batchAll(ADDRS, addAddr);
      return batchAll(ADDRS, delAddr);
    }),
    linkAdd: await medianOf(ROUNDS, async () => {
      const t = await batchAll(LINKS, vxlan);
      await batchAll(LINKS, delLink);
      return t;
    }),
    linkDel: await medianOf(ROUNDS, async () => {
      await batchAll(LINKS, vxlan);
      return batchAll(LINKS, delLink);
    }),
  };

  // iptables: each call is its own process (two, with ip netns exec); appendRule is -C then -A.
  const ipt = await detectIptables();
  const rule = ['-d', '198.51.100.2/32', '-p', 'udp', '-m', 'udp', '--dport', '4789', '-j', 'NOTRACK'];
  await ipt.ensureChain('raw', 'peerpod-OUTPUT', { netns });
  const iptables = {
    append: await medianOf(ROUNDS, async () => {
      const t = await perOp(1, () => ipt.appendRule('raw', 'peerpod-OUTPUT', rule, { netns }));
      await ipt.deleteRule('raw', 'peerpod-OUTPUT', rule, { netns });
      return t;
    }),
    appendPresent: await medianOf(ROUNDS, async () => {
      await ipt.appendRule('raw', 'peerpod-OUTPUT', rule, { netns });
      return perOp(1, () => ipt.appendRule('raw', 'peerpod-OUTPUT', rule, { netns }));
    }),
  };

  // netlink: started the way a real user would have to, so its start-up is reported too.
  const start = performance.now();
  const worker = await exec('ip', [
    'netns',
    'exec',
    name,
    process.execPath,
    '--import',
    'tsx',
    'bench/netlink-worker.ts',
    String(ADDRS),
    String(LINKS),
    String(ROUNDS),
  ]).then(
    ({ stdout }) => JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, number | string>,
    (error: unknown): Record<string, number | string> => ({ error: String(error) }),
  );
  const workerMs = performance.now() - start;

  const ms = (v: number | string | undefined) => (typeof v === 'number' ? `${v.toFixed(3)} ms` : 'n/a');
  const ratio = (a: number | undefined, b: number | string | undefined) =>
    a !== undefined && typeof b === 'number' ? `${(a / b).toFixed(1)}x` : 'n/a';
  const rows: [string, number, number | undefined, number | string | undefined][] = [
    [`addr add (${ADDRS} per round)`, spawn.addrAdd, batch.addrAdd, worker.addrAdd],
    [`addr del (${ADDRS} per round)`, spawn.addrDel, batch.addrDel, worker.addrDel],
    [`vxlan link add (${LINKS} per round)`, spawn.linkAdd, batch.linkAdd, worker.linkAdd],
    [`vxlan link del (${LINKS} per round)`, spawn.linkDel, batch.linkDel, worker.linkDel],
    ['read all links (ip -json -details / getLinks)', spawn.getLinks, undefined, worker.getLinks],
  ];
  console.log(`medians of ${ROUNDS} rounds, ms per operation`);
  console.log('| operation | `ip` per op | `ip -batch -` | netlink | spawn ÷ batch | batch ÷ netlink |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [label, s, b, n] of rows) {
    console.log(
      `| ${label} | ${ms(s)} | ${b === undefined ? '-' : ms(b)} | ${ms(n)} | ${ratio(s, b)} | ${ratio(b, n)} |`,
    );
  }
  console.log(
    `iptables (${ipt.flavour}, via ip netns exec): appendRule ${ms(iptables.append)} (-C, -A), ` +
      `${ms(iptables.appendPresent)} when present (-C only)`,
  );
  console.log(`one ${ADDRS}-line batch in total: ${(batch.addrAdd * ADDRS).toFixed(1)} ms`);
  if (typeof worker.error === 'string') console.log(`netlink: failed: ${worker.error}`);
  else {
    const startup = typeof worker.startup === 'number' ? worker.startup.toFixed(0) : '?';
    console.log(
      `netlink child: ${startup} ms from exec to a working socket (node + tsx + netlink), ${workerMs.toFixed(0)} ms in all`,
    );
  }
} finally {
  await deleteNetns(name, { ifExists: true });
}

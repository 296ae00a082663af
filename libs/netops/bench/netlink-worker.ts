// The netlink side of bench/operations.ts. A netlink socket belongs to the namespace of the process that
// opens it and Node has no setns, so this runs as its own process under `ip netns exec NS`.
// Prints one JSON line: per-operation medians (ms), or {"error": ...} when netlink does not load.
import { performance } from 'node:perf_hooks';
import { medianOf } from './stats';

const [adds, links, rounds] = process.argv.slice(2).map(Number) as [number, number, number];

async function main(): Promise<Record<string, number>> {
  const { AttrStream, createRtNetlink, FlagsNew, ifla } = await import('netlink');
  const flatten = (data: ReturnType<typeof ifla.formatInfo>): Buffer => {
    const stream = new AttrStream();
    stream.emit(data);
    return Buffer.concat(stream.bufs);
  };
  const ipv4 = (text: string): Buffer => Buffer.from(text.split('.').map(Number));
  const be16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const create = { flags: FlagsNew.CREATE | FlagsNew.EXCL };

  const result: Record<string, number> = {};
  const socket = createRtNetlink();
  const b0 = (await socket.getLinks()).find((l) => l.attrs.ifname === 'b0')?.data.index;
  if (b0 === undefined) throw new Error('b0 not found');
  const address = (i: number) => ({ local: ipv4(`10.78.${i}.1`), address: ipv4(`10.78.${i}.1`) });
  const header = { family: 2, prefixlen: 32, index: b0 };

  const time = async (n: number, op: (i: number) => Promise<unknown>): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < n; i++) await op(i);
    return (performance.now() - start) / n;
  };
  // Warm-up: the first request of a socket is several times slower than the rest.
  await socket.getLinks();
  // performance.now() counts from process start: node, tsx, loading netlink, the first two dumps.
  result.startup = performance.now();

  result.addrAdd = await medianOf(rounds, async () => {
    const perOp = await time(adds, (i) => socket.newAddress(header, address(i), create));
    await time(adds, (i) => socket.delAddress(header, address(i)));
    return perOp;
  });
  result.addrDel = await medianOf(rounds, async () => {
    await time(adds, (i) => socket.newAddress(header, address(i), create));
    return time(adds, (i) => socket.delAddress(header, address(i)));
  });
  const vxlan = (i: number) => ({
    ifname: `nlvx${i}`,
    linkinfo: flatten(
      ifla.formatInfo({
        kind: 'vxlan',
        data: flatten(ifla.formatVxlan({ id: 600000 + i, group: ipv4('198.51.100.2'), port: be16(4789) })),
      }),
    ),
  });
  result.linkAdd = await medianOf(rounds, async () => {
    const perOp = await time(links, (i) => socket.newLink({}, vxlan(i), create));
    await time(links, (i) => socket.delLink({}, { ifname: `nlvx${i}` }));
    return perOp;
  });
  result.linkDel = await medianOf(rounds, async () => {
    await time(links, (i) => socket.newLink({}, vxlan(i), create));
    return time(links, (i) => socket.delLink({}, { ifname: `nlvx${i}` }));
  });
  result.getLinks = await medianOf(rounds, () => time(1, () => socket.getLinks()));
  socket.socket.close();
  return result;
}

main().then(
  (result) => console.log(JSON.stringify(result)),
  (error: unknown) => console.log(JSON.stringify({ error: String(error) })),
);

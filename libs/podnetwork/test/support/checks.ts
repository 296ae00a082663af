import { getLink, listLinks, listQdiscs } from '@peerpods/netops';
import { inNetns } from './topology';

/** Our traces in a namespace: vxlan links, ingress qdiscs, peerpod iptables lines (raw table). */
export async function traces(ns: { name: string; path: string }): Promise<string[]> {
  const found: string[] = [];
  for (const link of await listLinks({ netns: ns.path })) {
    if (link.kind === 'vxlan') found.push(`link ${link.name} (vni ${link.vxlan?.id})`);
  }
  for (const qdisc of await listQdiscs({ netns: ns.path })) {
    if (qdisc.kind === 'ingress') found.push(`ingress qdisc on ${qdisc.dev}`);
  }
  for (const binary of ['iptables-nft', 'iptables-legacy']) {
    const listing = await inNetns(ns.name, binary, ['-w', '-t', 'raw', '-S']).catch(() => '');
    for (const line of listing.split('\n')) if (line.includes('peerpod')) found.push(`${binary}: ${line}`);
  }
  return found;
}

export async function mtuOf(dev: string, netns: string): Promise<number | undefined> {
  return (await getLink(dev, { netns }))?.mtu;
}

/** A TCP echo server that prefixes its answers with `tag`; prints a line once listening. */
export function echoServer(host: string, port: number, tag: string): string {
  return `require('net').createServer((s)=>s.on('data',(d)=>s.end(${JSON.stringify(tag)}+d))).listen(${port},${JSON.stringify(host)},()=>console.log('up'))`;
}

/** A client that sends `hello` and prints the answer. */
export function echoClient(host: string, port: number): string[] {
  return [
    '-e',
    `const s=require('net').connect(${port},${JSON.stringify(host)},()=>s.write('hello'));let a='';s.on('data',(d)=>a+=d);s.on('end',()=>{console.log(a);process.exit(0)});setTimeout(()=>{console.error('timeout');process.exit(1)},8000)`,
  ];
}

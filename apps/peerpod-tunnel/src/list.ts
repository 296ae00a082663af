import { listLinks, listNetns, namedNetnsPath } from '@peerpods/netops';

export interface TunnelRow {
  netns: string;
  link: string;
  vni: number;
  remote?: string;
  port?: number;
}

/** Every VXLAN link in this host's namespace and in each named namespace. */
export async function listTunnels(): Promise<TunnelRow[]> {
  const places: Array<{ label: string; netns?: string }> = [{ label: '(host)' }];
  for (const name of await listNetns())
    places.push({ label: namedNetnsPath(name), netns: namedNetnsPath(name) });
  const rows: TunnelRow[] = [];
  for (const place of places) {
    const links = await listLinks({ netns: place.netns }).catch(() => []);
    for (const link of links) {
      if (link.vxlan === undefined) continue;
      rows.push({
        netns: place.label,
        link: link.name,
        vni: link.vxlan.id,
        remote: link.vxlan.remote,
        port: link.vxlan.port,
      });
    }
  }
  return rows;
}

import {
  createNetns,
  deleteNetns,
  detectIptables,
  ipBatch,
  namedNetnsPath,
  runCommand,
} from '@peerpods/netops';

export interface CheckResult {
  what: string;
  ok: boolean;
  detail: string;
}

async function tool(file: string, args: string[], hint: string): Promise<CheckResult> {
  try {
    const result = await runCommand(file, args, { timeoutMs: 5000 });
    return { what: file, ok: true, detail: result.stdout.split('\n')[0]?.trim() || 'found' };
  } catch (error) {
    return { what: file, ok: false, detail: `${(error as Error).message.split('\n')[0]} (${hint})` };
  }
}

/** Everything a tunnel needs on this host, each with how to fix it when missing. */
export async function checkHost(): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const root = process.getuid?.() === 0;
  results.push({
    what: 'root',
    ok: root,
    detail: root ? 'running as root' : 'run as root (CAP_NET_ADMIN and CAP_SYS_ADMIN)',
  });
  results.push(await tool('ip', ['-V'], 'apt-get install -y iproute2'));
  results.push(await tool('tc', ['-V'], 'apt-get install -y iproute2'));
  results.push(await tool('nsenter', ['--version'], 'apt-get install -y util-linux'));
  try {
    const iptables = await detectIptables();
    results.push({
      what: 'iptables',
      ok: true,
      detail: `${iptables.binary.path} (${iptables.binary.flavour})`,
    });
  } catch (error) {
    results.push({ what: 'iptables', ok: false, detail: (error as Error).message });
  }
  if (root) {
    // The only sure test of VXLAN support: make one, in a namespace of our own, and remove it.
    const name = `pp-check-${process.pid}`;
    try {
      await createNetns(name);
      await ipBatch(['link add ppcheck0 type vxlan id 4242 dstport 4789 local 127.0.0.1'], {
        netns: namedNetnsPath(name),
      });
      results.push({ what: 'vxlan', ok: true, detail: 'the kernel creates VXLAN links' });
    } catch (error) {
      results.push({
        what: 'vxlan',
        ok: false,
        detail: `${(error as Error).message.split('\n')[0]} (modprobe vxlan)`,
      });
    } finally {
      await deleteNetns(name, { ifExists: true }).catch(() => {});
    }
  }
  return results;
}

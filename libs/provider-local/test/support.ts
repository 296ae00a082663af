// A fake pod-VM image for the provider's own tests: shell scripts standing in for process-user-data,
// the forwarder and the agent that record what they were given and where they ran. The real binaries
// are exercised end to end in tools/local-demo.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIpv4Subnet } from '@peerpods/netops';
import type { PodVmBinaries } from '@peerpods/pod-vm-host';
import { LocalProvider, type LocalProviderSettings } from '../src/local-provider';

function script(path: string, body: string): string {
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * `failUserData`: process-user-data exits 1 with a message, as with unreadable user-data;
 * `failForwarder`: the forwarder exits at boot, as with a bad apf.json; `failAgent`: the agent does.
 */
export function fakeImage(
  dir: string,
  options: { failUserData?: boolean; failForwarder?: boolean; failAgent?: boolean } = {},
): PodVmBinaries {
  return {
    processUserData: script(
      join(dir, 'process-user-data'),
      options.failUserData
        ? 'echo "user-data: not a #cloud-config document" >&2; exit 1'
        : [
            // provision-files --root ROOT -t N
            'root="$3"',
            'mkdir -p "$root/run/peerpod"',
            'cp "$root/media/cidata/user-data" "$root/run/peerpod/apf.json"',
            'ip -br -4 addr show dev eth0 > "$root/run/peerpod/seen-eth0"',
            'echo "$@" > "$root/run/peerpod/args"',
          ].join('\n'),
    ),
    forwarder: script(
      join(dir, 'agent-protocol-forwarder'),
      // -config <root>/run/peerpod/apf.json: record the arguments next to it, then run like a daemon.
      options.failForwarder
        ? 'echo "[forwarder] apf.json: pod-network.mtu: expected a number"; exit 2'
        : 'echo "$@" > "$(dirname "$2")/forwarder-args"\necho "2026/11/27 10:00:00 [forwarder] listening on 0.0.0.0:15150 (TLS)"\nexec sleep 1000',
    ),
    agent: script(
      join(dir, 'agent'),
      options.failAgent
        ? 'echo "cannot open /dev/vsock" >&2; exit 3'
        : // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion
          'sock="${KATA_AGENT_SERVER_ADDR#unix://}"\necho "$KATA_AGENT_SERVER_ADDR" > "$(dirname "$sock")/agent-env"\nexec sleep 1000',
    ),
  };
}

export function startProvider(
  overrides: Partial<LocalProviderSettings> & Pick<LocalProviderSettings, 'stateDir' | 'netns' | 'binaries'>,
  logs: string[] = [],
): Promise<LocalProvider> {
  return LocalProvider.start({
    subnet: parseIpv4Subnet('10.199.0.0/24'),
    bridge: 'ppbr0',
    log: (message) => logs.push(message),
    ...overrides,
  });
}

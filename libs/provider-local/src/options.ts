import type { OptionSpec } from '@peerpods/config';

/** The local provider's flags and environment variables. Upstream has no local provider: these are ours. */
export const LOCAL_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'local-subnet',
    env: 'LOCAL_SUBNET',
    type: 'string',
    default: '10.199.0.0/24',
    description:
      'IPv4 subnet of the bridge the pod VMs sit on; the first address is the bridge, the rest go to pod VMs. ' +
      "It must not overlap any route already in the daemon's network namespace",
  },
  {
    flag: 'local-bridge',
    env: 'LOCAL_BRIDGE',
    type: 'string',
    default: 'ppbr0',
    description:
      "the provider's bridge in the daemon's network namespace (created at start, removed at exit)",
  },
  {
    flag: 'local-state-dir',
    env: 'LOCAL_STATE_DIR',
    type: 'string',
    default: '/run/peerpod/local',
    description:
      'one directory per pod VM (its /: user-data, /run/peerpod, the agent socket, logs); leftovers of a crashed run are removed at start',
  },
  {
    flag: 'local-bin-dir',
    env: 'LOCAL_BIN_DIR',
    type: 'string',
    default: '',
    description:
      'where process-user-data, agent-protocol-forwarder and dev-agent are (default: the directory of this cloud-api-adaptor binary)',
  },
  {
    flag: 'agent-binary',
    env: 'AGENT_BINARY',
    type: 'string',
    default: '',
    description:
      'the kata agent each pod VM runs, started with KATA_AGENT_SERVER_ADDR=unix://<socket> (default: dev-agent, a demo stand-in without isolation)',
  },
];

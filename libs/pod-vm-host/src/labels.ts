/**
 * How a host's messages name it and the options that configure it: the local provider's flags
 * (`-local-subnet`) or a fake cloud's (`--subnet`), so an error always says what to change.
 */
export interface HostLabels {
  /** Prefix of the host's own nouns: "local" gives "local subnet", "local state directory". */
  owner: string;
  options: {
    subnet: string;
    bridge: string;
    stateDir: string;
    binDir: string;
    agent: string;
  };
}

export const LOCAL_PROVIDER_LABELS: HostLabels = {
  owner: 'local',
  options: {
    subnet: '-local-subnet',
    bridge: '-local-bridge',
    stateDir: '-local-state-dir',
    binDir: '-local-bin-dir',
    agent: '-agent-binary',
  },
};

import type { HostLabels } from '@peerpods/pod-vm-host';

export const FAKE_ARM_LABELS: HostLabels = {
  owner: 'fake-arm',
  options: {
    subnet: '--subnet',
    bridge: '--bridge',
    stateDir: '--state-dir',
    binDir: '--bin-dir',
    agent: '--agent-binary',
  },
};

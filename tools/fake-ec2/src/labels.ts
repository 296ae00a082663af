import type { HostLabels } from '@peerpods/pod-vm-host';

export const FAKE_EC2_LABELS: HostLabels = {
  owner: 'fake-ec2',
  options: {
    subnet: '--subnet',
    bridge: '--bridge',
    stateDir: '--state-dir',
    binDir: '--bin-dir',
    agent: '--agent-binary',
  },
};

import type { HostLabels } from '@peerpods/pod-vm-host';

export const FAKE_IBM_VPC_LABELS: HostLabels = {
  owner: 'fake-ibm-vpc',
  options: {
    subnet: '--subnet',
    bridge: '--bridge',
    stateDir: '--state-dir',
    binDir: '--bin-dir',
    agent: '--agent-binary',
  },
};

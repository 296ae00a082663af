/** The providers the demo runs: the embedded local one, a cloud's against its fake, or libvirt. */
export type DemoProvider = 'local' | CloudProvider | 'libvirt' | 'vsphere';

/** The providers that run against a fake cloud. */
export type CloudProvider = 'aws' | 'azure' | 'ibmcloud';

export const DEMO_PROVIDERS: readonly DemoProvider[] = [
  'local',
  'aws',
  'azure',
  'ibmcloud',
  'libvirt',
  'vsphere',
];

/** What the daemon is started with for a provider: its name and flags first, and its environment. */
export interface ProviderLaunch {
  args: string[];
  env: Record<string, string>;
}

/** What a provider's daemon talks to (a fake cloud, or a real libvirtd), as the demo runs it. */
export interface DemoCloud {
  readonly name: string;
  /** The daemon's flags and environment for it. */
  launch(): ProviderLaunch;
  /** What it still has (instances, disks, ...), once deletions have settled: one line each. */
  settledInstances(): Promise<string[]>;
  stop(): Promise<void>;
}

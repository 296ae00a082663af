/** The providers the demo runs: the embedded local one, or aws against the EC2 fake. */
export type DemoProvider = 'local' | 'aws';

export const DEMO_PROVIDERS: readonly DemoProvider[] = ['local', 'aws'];

/** What the daemon is started with for a provider: its name and flags first, and its environment. */
export interface ProviderLaunch {
  args: string[];
  env: Record<string, string>;
}

/** The providers the demo runs: the embedded local one, or a cloud's against its fake. */
export type DemoProvider = 'local' | 'aws' | 'azure';

/** The providers that run against a fake cloud. */
export type CloudProvider = Exclude<DemoProvider, 'local'>;

export const DEMO_PROVIDERS: readonly DemoProvider[] = ['local', 'aws', 'azure'];

/** What the daemon is started with for a provider: its name and flags first, and its environment. */
export interface ProviderLaunch {
  args: string[];
  env: Record<string, string>;
}

// Values here are only what the daemon needs at start-up; the provider itself is loaded on create.
export { localProviderFactory } from './factory';
export type { LocalProvider, LocalProviderSettings } from './local-provider';
export { LOCAL_OPTIONS } from './options';

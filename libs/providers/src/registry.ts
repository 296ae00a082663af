import type { ProviderFactory } from './provider';

/** Providers by command-line name. Each app builds its own, so tests need no global state. */
export class ProviderRegistry {
  readonly #factories = new Map<string, ProviderFactory>();

  register(factory: ProviderFactory): void {
    if (this.#factories.has(factory.name)) {
      throw new Error(`provider "${factory.name}" is already registered`);
    }
    this.#factories.set(factory.name, factory);
  }

  get(name: string): ProviderFactory | undefined {
    return this.#factories.get(name);
  }

  /** Sorted, for `help` and usage text. */
  names(): string[] {
    return [...this.#factories.keys()].sort();
  }
}

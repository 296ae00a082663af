/**
 * The EC2 Query API's request encoding: a form body of `Name=value` pairs where lists are numbered
 * from 1 (`SecurityGroupId.1`, `SecurityGroupId.2`) and structures are dotted
 * (`TagSpecification.1.Tag.1.Key`), as the SDK's ec2Query protocol writes them.
 */
export class QueryParams {
  readonly #values: Map<string, string>;

  constructor(body: string) {
    this.#values = new Map(new URLSearchParams(body));
  }

  get action(): string {
    return this.#values.get('Action') ?? '';
  }

  /** One value; `undefined` when absent. */
  get(name: string): string | undefined {
    return this.#values.get(name);
  }

  /** `prefix.1`, `prefix.2`, ... until the first missing index. */
  list(prefix: string): string[] {
    const values: string[] = [];
    for (let index = 1; ; index++) {
      const value = this.#values.get(`${prefix}.${index}`);
      if (value === undefined) return values;
      values.push(value);
    }
  }

  /** The numbered structures under `prefix`, each as a view of its own members. */
  structs(prefix: string): QueryParams[] {
    const found: QueryParams[] = [];
    for (let index = 1; ; index++) {
      const head = `${prefix}.${index}.`;
      const members = [...this.#values].filter(([key]) => key.startsWith(head));
      if (members.length === 0) return found;
      found.push(QueryParams.of(members.map(([key, value]) => [key.slice(head.length), value])));
    }
  }

  /** The members under `prefix.` as one structure (`CpuOptions.AmdSevSnp` → `AmdSevSnp`). */
  struct(prefix: string): QueryParams | undefined {
    const head = `${prefix}.`;
    const members = [...this.#values].filter(([key]) => key.startsWith(head));
    return members.length === 0
      ? undefined
      : QueryParams.of(members.map(([k, v]) => [k.slice(head.length), v]));
  }

  /** Every name present (for the request log: names, never values, which may hold secrets). */
  names(): string[] {
    return [...this.#values.keys()];
  }

  static of(entries: [string, string][]): QueryParams {
    const params = new QueryParams('');
    for (const [key, value] of entries) params.#values.set(key, value);
    return params;
  }
}

/**
 * ttrpc metadata: an ordered list of key/value pairs (one KeyValue per value on the wire).
 * Kept as a list, not a map, so a proxy forwards exactly what it received, in order.
 */
export interface MetadataEntry {
  readonly key: string;
  readonly value: string;
}
export type Metadata = readonly MetadataEntry[];

/** Builds metadata from a record; array values become one entry per value. */
export function metadataFromRecord(record: Readonly<Record<string, string | readonly string[]>>): Metadata {
  return Object.entries(record).flatMap(([key, values]) =>
    (typeof values === 'string' ? [values] : values).map((value) => ({ key, value })),
  );
}

/** Every value for a key, compared case-insensitively as Go's metadata accessors do. */
export function metadataValues(metadata: Metadata, key: string): string[] {
  const wanted = key.toLowerCase();
  return metadata.filter((entry) => entry.key.toLowerCase() === wanted).map((entry) => entry.value);
}

/**
 * IBM Cloud user tags are plain strings; a key and a value are written `key:value`, as upstream's
 * `coco-pod-vm:<cluster>`. The ownership tags go on as `peerpods-node:<node>` and so on.
 */
export function ibmTagsOf(tags: Readonly<Record<string, string>>): string[] {
  return Object.entries(tags).map(([key, value]) => `${key}:${value}`);
}

/** The `key:value` tags as a record, split at the first colon; tags without one are left out. */
export function ibmTagsFrom(names: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const name of names) {
    const colon = name.indexOf(':');
    if (colon > 0) tags[name.slice(0, colon)] = name.slice(colon + 1);
  }
  return tags;
}

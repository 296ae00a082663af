/**
 * Upstream's pod VM name, `podvm-<pod>-<first 8 chars of sandbox id>`. The upstream e2e suite derives
 * the VM name from the log line this way, so the rule must match exactly (docs/compatibility.md §2.3).
 */
const PREFIX = 'podvm';
/** `podvm` + `-` before the pod part + `-` and 8 id chars after it. */
const FIXED_LENGTH = PREFIX.length + 1 + 1 + 8;

/** Lower-cases, then turns every character outside `[a-z0-9-]` into `-`, one per code point. */
function sanitize(text: string): string {
  let out = '';
  for (const char of text) {
    const lower = char.toLowerCase();
    out += /^[a-z0-9-]$/.test(lower) ? lower : '-';
  }
  return out;
}

/** `maxLength` is the cloud's name limit: 63 for most, 47 for PowerVS. */
export function instanceName(podName: string, sandboxId: string, maxLength = 63): string {
  const pod = sanitize(podName).slice(0, Math.max(0, maxLength - FIXED_LENGTH));
  const id = sanitize(sandboxId).slice(0, 8);
  return `${PREFIX}-${pod}-${id}`;
}

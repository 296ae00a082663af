/**
 * The user-data the pod VM boots with: cloud-init's `#cloud-config` with one `write_files` entry per
 * file, in upstream's exact layout (docs/compatibility.md §2.5), because the unmodified Go process-user-data
 * in existing pod VM images parses it strictly as `{write_files: [{path, content}]}`:
 *
 *   #cloud-config            header, then one blank line
 *
 *   write_files:
 *     - path: /run/peerpod/apf.json
 *       content: |           omitted (with its lines) when the content is empty
 *         {                  every content line indented 6 spaces, blank lines as 6 spaces
 *         ...
 *
 * Bytes: every line, the last included, ends in "\n". The spec shows the template's output as lines
 * and does not say whether the last one is terminated; a text template written as lines ends in a
 * newline, so we terminate it. YAML and cloud-init read both forms the same.
 *
 * Round trip: one trailing "\n" of the content is dropped before splitting into lines, and `|`
 * (YAML's "clip" chomping) puts exactly one back on parsing. So a reader gets the content with its
 * trailing newlines collapsed to exactly one: "x\n" and "x" both read back as "x\n". JSON and base64
 * readers do not mind. Content must not contain "\r" (a YAML line break) and its first non-blank line
 * must not start with a space (YAML would take that as the block's indentation); upstream shares both
 * limits, and apf.json, auth.json, initdata and the marker never hit them.
 */
export interface UserDataFile {
  /** Written into the YAML as is: an absolute path without spaces, `#` or `: `. */
  path: string;
  content: string;
}

const INDENT = '      ';

export function cloudConfig(files: readonly UserDataFile[]): string {
  const lines = ['#cloud-config', '', 'write_files:'];
  for (const { path, content } of files) {
    // A line break in the path would start a new YAML key; nothing legitimate has one.
    if (/[\r\n]/.test(path)) throw new Error(`user-data file path ${JSON.stringify(path)} has a line break`);
    lines.push(`  - path: ${path}`);
    if (content === '') continue;
    lines.push('    content: |');
    const body = content.endsWith('\n') ? content.slice(0, -1) : content;
    for (const line of body.split('\n')) lines.push(INDENT + line);
  }
  return `${lines.join('\n')}\n`;
}

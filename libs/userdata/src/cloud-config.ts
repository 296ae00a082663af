/**
 * The pod VM's reading of user-data (docs/compatibility.md §2.5, §6.4). Upstream decodes it with
 * gopkg.in/yaml.v2's UnmarshalStrict into `struct{ WriteFiles []struct{ Path, Content string } }`;
 * this reproduces what that accepts and refuses:
 *
 * - the document is a mapping whose only key is `write_files`, a list of mappings whose only keys are
 *   `path` and `content`: any other key (`runcmd`, `owner`, `permissions`, …) is an error, as strict
 *   decoding reports a field not found in the struct; so is a duplicate key;
 * - `path` and `content` are scalars: a plain scalar that YAML would read as a number or boolean is
 *   taken as its text (`content: 0644` is "0644"), null or missing is `''`, as Go does for a string
 *   field; a list or mapping there is an error;
 * - an empty document (only the `#cloud-config` comment) or `write_files:` with nothing is no files,
 *   not an error; the `#cloud-config` line is a comment and is not required, as upstream;
 * - aliases are followed (their depth is bounded by this fixed shape).
 * Stricter than yaml.v2, on purpose: more than one document (yaml.v2 reads the first, silently),
 * explicit tags other than `!!str` (yaml.v2 would decode `!!binary`), invalid UTF-8, and anything the
 * YAML library warns about are errors.
 *
 * `yaml` is imported on first use, so merely loading this lib (e.g. for `--help`) does not pay for it.
 */
import type { Document, Node as YamlNode } from 'yaml';
import { CloudConfigError } from './errors';

export interface WriteFile {
  path: string;
  content: string;
}

export interface CloudConfig {
  writeFiles: WriteFile[];
}

type Yaml = typeof import('yaml');

const STR_TAG = 'tag:yaml.org,2002:str';

function firstLine(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/:\s*$/, '');
}

class Walker {
  constructor(
    private readonly yaml: Yaml,
    private readonly doc: Document.Parsed,
    private readonly source: string,
  ) {}

  fail(node: YamlNode | null | undefined, message: string): never {
    const offset = node?.range?.[0];
    const line = offset === undefined ? undefined : this.source.slice(0, offset).split('\n').length;
    throw new CloudConfigError(line === undefined ? message : `line ${line}: ${message}`);
  }

  /** The node an alias points at; undefined for an empty value. */
  deref(node: unknown): YamlNode | undefined {
    if (node === null || node === undefined) return undefined;
    if (this.yaml.isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) this.fail(node, `unknown anchor ${node.source}`);
      return this.deref(target);
    }
    return node as YamlNode;
  }

  kind(node: YamlNode): string {
    if (this.yaml.isMap(node)) return 'a mapping';
    if (this.yaml.isSeq(node)) return 'a list';
    return 'a scalar';
  }

  isNull(node: YamlNode | undefined): boolean {
    return node === undefined || (this.yaml.isScalar(node) && node.value === null && node.tag !== STR_TAG);
  }

  keyName(key: unknown): string {
    const node = this.deref(key);
    if (node === undefined) return '';
    if (!this.yaml.isScalar(node)) this.fail(node, `a key must be a scalar, not ${this.kind(node)}`);
    return typeof node.value === 'string' ? node.value : String(node.source ?? node.value);
  }

  /** A string field, as yaml.v2 fills a Go string. */
  text(field: string, value: unknown, at: YamlNode): string {
    const node = this.deref(value);
    if (this.isNull(node)) return '';
    if (!this.yaml.isScalar(node))
      this.fail(node ?? at, `${field} must be a string, not ${this.kind(node!)}`);
    if (node.tag !== undefined && node.tag !== STR_TAG) {
      this.fail(node, `${field}: the explicit tag ${node.tag} is not supported`);
    }
    if (typeof node.value === 'string') return node.value;
    return node.source ?? String(node.value);
  }

  writeFile(item: unknown, parent: YamlNode): WriteFile {
    const node = this.deref(item);
    if (this.isNull(node)) return { path: '', content: '' };
    if (!this.yaml.isMap(node))
      this.fail(node ?? parent, `a write_files entry must be a mapping, not ${this.kind(node!)}`);
    const file: WriteFile = { path: '', content: '' };
    for (const pair of node.items) {
      const name = this.keyName(pair.key);
      if (name !== 'path' && name !== 'content') {
        this.fail(
          (pair.key as YamlNode | null) ?? node,
          `field ${name} not found in write_files entry (only path and content are allowed)`,
        );
      }
      file[name] = this.text(name, pair.value, node);
    }
    return file;
  }

  cloudConfig(): CloudConfig {
    const root = this.deref(this.doc.contents);
    if (this.isNull(root)) return { writeFiles: [] };
    if (!this.yaml.isMap(root)) {
      this.fail(root, `user-data must be a mapping with write_files, not ${this.kind(root!)}`);
    }
    const writeFiles: WriteFile[] = [];
    for (const pair of root.items) {
      const name = this.keyName(pair.key);
      if (name !== 'write_files') {
        this.fail(
          (pair.key as YamlNode | null) ?? root,
          `field ${name} not found in cloud-config (only write_files is allowed)`,
        );
      }
      const list = this.deref(pair.value);
      if (this.isNull(list)) continue;
      if (!this.yaml.isSeq(list)) this.fail(list, `write_files must be a list, not ${this.kind(list!)}`);
      for (const item of list.items) writeFiles.push(this.writeFile(item, list));
    }
    return { writeFiles };
  }
}

export async function parseCloudConfig(input: string | Uint8Array): Promise<CloudConfig> {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw new CloudConfigError('user-data is not UTF-8 text');
    }
  }
  const yaml = await import('yaml');
  // YAML 1.1, as yaml.v2; duplicate keys are errors, as in strict decoding.
  const doc = yaml.parseDocument(text, {
    version: '1.1',
    uniqueKeys: true,
    strict: true,
    prettyErrors: true,
  });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem) throw new CloudConfigError(`user-data is not valid YAML: ${firstLine(problem.message)}`);
  return new Walker(yaml, doc, text).cloudConfig();
}

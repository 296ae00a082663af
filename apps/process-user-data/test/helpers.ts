import { mkdir, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'process-user-data-'));
  await mkdir(join(root, 'run/peerpod'), { recursive: true });
  return root;
}

export async function putFile(root: string, vmPath: string, content: string): Promise<void> {
  await mkdir(dirname(join(root, vmPath)), { recursive: true });
  await writeFile(join(root, vmPath), content);
}

export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

export const APF_JSON =
  '{\n    "pod-name": "nginx",\n    "tls-server-key": "-----BEGIN EC PRIVATE KEY-----\\nMHcC\\n-----END EC PRIVATE KEY-----\\n"\n}';
export const AUTH_JSON = '{"auths":{"quay.io":{"auth":"dXNlcjpwYXNz"}}}';
export const INITDATA_TOML = `algorithm = "sha384"
version = "0.1.0"

[data]
"aa.toml" = '''
[token_configs.kbs]
url = "http://kbs.example:8080"
'''
"cdh.toml" = '''
socket = "unix:///run/confidential-containers/cdh.sock"
'''
"policy.rego" = '''
package agent_policy
'''
`;

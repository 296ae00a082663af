import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { encodeInitdataAnnotation } from '@peerpods/initdata';
import { type Logger, TextLogger } from '@peerpods/log';
import { cloudConfig, type UserDataFile } from '@peerpods/providers';

/** A root standing for the VM's /, with /run/peerpod present as the image's tmpfiles makes it. */
export async function tempRoot(): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'userdata-test-'));
  await mkdir(join(root, 'run/peerpod'), { recursive: true });
  return root;
}

export async function removeRoot(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

export async function putFile(
  root: string,
  vmPath: string,
  content: string | Buffer,
  mode?: number,
): Promise<void> {
  const path = join(root, vmPath);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, content, mode === undefined ? undefined : { mode });
}

/** Every file under `dir`, relative, sorted (temporary files included: nothing may be hidden). */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

export interface CapturedLog {
  log: Logger;
  lines: string[];
  text(): string;
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const log = new TextLogger('userdata/provision', { write: (line) => lines.push(line) });
  return { log, lines, text: () => lines.join('') };
}

// A realistic apf.json: what the daemon writes (pod network, TLS material with a private key).
export const APF_JSON = `{
    "pod-network": {
        "podip": "10.244.0.19/24",
        "pod-hw-addr": "0e:8f:62:f3:81:ad",
        "interface": "eth0",
        "worker-node-ip": "10.224.0.4/16",
        "tunnel-type": "vxlan",
        "mtu": 1450,
        "index": 1,
        "vxlan-port": 4789,
        "vxlan-id": 555001,
        "dedicated": false
    },
    "pod-namespace": "default",
    "pod-name": "nginx-866fdb5bfb-b98nw",
    "tls-server-key": "-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEE\\n-----END EC PRIVATE KEY-----\\n",
    "tls-server-cert": "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n",
    "tls-client-ca": "-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n"
}`;
export const AUTH_JSON = '{"auths":{"quay.io":{"auth":"dXNlcjpwYXNzd29yZA=="}}}';

export function initdataToml(algorithm: string, extra = ''): string {
  return `algorithm = "${algorithm}"
version = "0.1.0"

[data]
"aa.toml" = '''
[token_configs]
[token_configs.kbs]
url = "http://kbs.example:8080"
'''

"cdh.toml" = '''
socket = "unix:///run/confidential-containers/cdh.sock"
[kbc]
name = "cc_kbc"
url = "http://kbs.example:8080"
'''

"policy.rego" = '''
package agent_policy
default ExecProcessRequest := false
'''
${extra}`;
}

/** The user-data the daemon sends for a pod: apf.json, auth.json and (optionally) initdata. */
export function typicalUserData(initdataTomlText?: string, more: UserDataFile[] = []): string {
  const files: UserDataFile[] = [
    { path: '/run/peerpod/apf.json', content: APF_JSON },
    { path: '/run/peerpod/auth.json', content: AUTH_JSON },
  ];
  if (initdataTomlText !== undefined) {
    files.push({ path: '/run/peerpod/initdata', content: encodeInitdataAnnotation(initdataTomlText) });
  }
  return cloudConfig([...files, ...more]);
}

/** A 127.0.0.1 URL where nothing listens (a port just released). */
export async function closedPortUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

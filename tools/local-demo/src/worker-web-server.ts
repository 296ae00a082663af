import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { WorkerNode } from './worker-node';

export const WEB_PORT = 8080;
export const WEB_PAGE = 'hello from the worker node: this page crossed the VXLAN tunnel\n';

// Runs with the same node as the caller, so no extra program is needed inside the namespace.
const SERVER = `
const http = require('node:http');
http.createServer((req, res) => res.end(process.env.PAGE)).listen(Number(process.env.PORT), '0.0.0.0', () => {
  process.stdout.write('listening\\n');
});
`;

/**
 * An HTTP server in the worker node's namespace, on every address, so a pod VM reaches it at its pod
 * network's gateway (the cni0 bridge): the request leaves the pod VM's pod namespace through the
 * tunnel, comes out of the worker's pod namespace onto cni0, and the answer goes back the same way.
 */
export async function startWorkerWebServer(worker: WorkerNode): Promise<{ stop: () => Promise<void> }> {
  const child: ChildProcess = spawn('nsenter', [`--net=${worker.path}`, process.execPath, '-e', SERVER], {
    env: { PAGE: WEB_PAGE, PORT: String(WEB_PORT) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the worker's web server exited (${code})`)));
  });
  return {
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * A shell command fetching `url` inside a pod VM: curl on this machine (local and fake-cloud pod VMs);
 * in a built image (no curl, and Debian 12's busybox wget crashes under QEMU's TCG), bash's /dev/tcp.
 */
export function fetchCommand(provider: string, url: string): string {
  if (provider !== 'libvirt') return `curl -sS --max-time 10 ${url}`;
  const { hostname, port, pathname } = new URL(url);
  const request = `GET ${pathname} HTTP/1.0\\r\\nHost: ${hostname}\\r\\n\\r\\n`;
  return `bash -c 'exec 3<>/dev/tcp/${hostname}/${port || 80} && printf "${request}" >&3 && timeout 10 cat <&3'`;
}

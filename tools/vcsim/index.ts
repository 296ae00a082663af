// Starts tools/vcsim/dist/vcsim (built by build.sh) on loopback, for tests of vSphere clients.
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CertificateAuthority } from '@peerpods/tls';

export const VCSIM_BINARY = resolve(import.meta.dirname, 'dist/vcsim');

export interface VcsimOptions {
  username?: string;
  password?: string;
  /** Serve HTTPS with a certificate from a fresh CA (written into `dir`); default the simulator's own. */
  ownCa?: { dir: string };
  /** Plain HTTP. */
  plain?: boolean;
  /** Serve inside this network namespace (a path, entered with nsenter) on its loopback. */
  netns?: string;
}

export interface Vcsim {
  /** The SDK endpoint, `https://127.0.0.1:PORT/sdk`. */
  url: string;
  username: string;
  password: string;
  /** With `ownCa`: the CA that signed the server certificate (PEM). */
  caPem?: string;
  output(): string;
  stop(): Promise<void>;
}

/** A vcsim of its own on 127.0.0.1 with the default VPX inventory (DC0, DC0_C0, DC0_H0_VM0, ...). */
export async function startVcsim(options: VcsimOptions = {}): Promise<Vcsim> {
  const username = options.username ?? 'user';
  const password = options.password ?? 'pass';
  const args = ['-l', '127.0.0.1:0', '-username', username, '-password', password];
  let caPem: string | undefined;
  if (options.plain) args.push('-tls=false');
  else if (options.ownCa) {
    const ca = await CertificateAuthority.create({ commonName: 'peerpods vcsim test CA', validityDays: 2 });
    const pair = await ca.issueServerCertificate('localhost', { ipAddresses: ['127.0.0.1'] });
    const cert = join(options.ownCa.dir, 'vcsim.pem');
    const key = join(options.ownCa.dir, 'vcsim.key');
    writeFileSync(cert, pair.certPem);
    writeFileSync(key, pair.keyPem, { mode: 0o600 });
    args.push('-tlscert', cert, '-tlskey', key);
    caPem = ca.certPem;
  }
  const child: ChildProcess = options.netns
    ? spawn('nsenter', [`--net=${options.netns}`, VCSIM_BINARY, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(VCSIM_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`vcsim did not start in 20 s:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk;
      const match = /vcsim: serving (\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolveUrl(match[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(
        new Error(`vcsim could not run (${VCSIM_BINARY}; npm run build -w tools/vcsim): ${error.message}`),
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vcsim exited with ${code}:\n${output}`));
    });
  });
  return {
    url,
    username,
    password,
    ...(caPem ? { caPem } : {}),
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

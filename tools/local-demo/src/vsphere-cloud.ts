import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { startVcsim, type Vcsim } from '@peerpods/vcsim';
import type { AdaptorPaths } from './adaptor-process';
import type { DemoCloud, ProviderLaunch } from './provider-launch';

/** vcsim's one user's password here; the daemon gets it through its environment, and no log may show it. */
export const VCSIM_PASSWORD = 'vcsim~demo~password~4Rt8';
const GUESTS = resolve(import.meta.dirname, 'vcsim-guests.ts');

/**
 * govmomi's vSphere simulator (tools/vcsim; not vSphere) in the worker node's namespace, with a TLS
 * certificate from a test CA, and beside it vcsim-guests, which boots a pod VM for each clone that
 * powers on (vcsim's VMs run nothing) and reports its address as the clone's guest address.
 */
export class VsphereCloud implements DemoCloud {
  readonly name = 'vcsim';
  #output = '';

  private constructor(
    private readonly vcsim: Vcsim,
    private readonly guests: ChildProcess,
    private readonly caFile: string,
    private readonly controlSocket: string,
  ) {
    guests.stdout!.on('data', (chunk: Buffer) => (this.#output += chunk));
    guests.stderr!.on('data', (chunk: Buffer) => (this.#output += chunk));
  }

  static async start(options: {
    worker: { path: string };
    binDir: string;
    paths: AdaptorPaths;
    dir: string;
  }): Promise<VsphereCloud> {
    const vcsim = await startVcsim({
      ownCa: { dir: options.dir },
      password: VCSIM_PASSWORD,
      netns: options.worker.path,
    });
    const caFile = join(options.dir, 'vcsim-ca.pem');
    writeFileSync(caFile, vcsim.caPem!);
    const controlSocket = join(options.dir, 'vcsim-guests.sock');
    const guests = spawn(
      'nsenter',
      [
        `--net=${options.worker.path}`,
        process.execPath,
        '--import',
        'tsx',
        GUESTS,
        '--url',
        vcsim.url,
        '--ca',
        caFile,
        '--user',
        vcsim.username,
        '--bin-dir',
        options.binDir,
        '--state-dir',
        options.paths.stateDir,
        '--control-socket',
        controlSocket,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VCSIM_PASSWORD } },
    );
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk);
    guests.stdout!.on('data', collect);
    guests.stderr!.on('data', collect);
    const until = Date.now() + 60_000;
    while (!output.includes('vcsim-guests: ready')) {
      if (guests.exitCode !== null || Date.now() > until) {
        guests.kill('SIGKILL');
        await vcsim.stop();
        throw new Error(`vcsim-guests did not start:\n${output}`);
      }
      await new Promise((done) => setTimeout(done, 20));
    }
    guests.stdout!.off('data', collect);
    guests.stderr!.off('data', collect);
    const cloud = new VsphereCloud(vcsim, guests, caFile, controlSocket);
    cloud.#output = output;
    return cloud;
  }

  launch(): ProviderLaunch {
    return {
      args: [
        'vsphere',
        '-vcenter-url',
        this.vcsim.url,
        '-user-name',
        this.vcsim.username,
        '-vcenter-ca-file',
        this.caFile,
        '-data-center',
        'DC0',
        '-host',
        'DC0_H0',
        '-data-store',
        'LocalDS_0',
      ],
      env: { GOVC_PASSWORD: VCSIM_PASSWORD },
    };
  }

  get output(): string {
    return `${this.#output}${this.vcsim.output()}`;
  }

  /** The clones vcsim still has (the template aside): one line each. */
  async settledInstances(): Promise<string[]> {
    const body = await new Promise<string>((done, reject) => {
      const call = request({ socketPath: this.controlSocket, path: '/_fake/instances' }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk));
        response.on('end', () => done(text));
      });
      call.once('error', reject);
      call.end();
    });
    return (JSON.parse(body) as { name: string; power: string }[]).map((vm) => `VM ${vm.name} ${vm.power}`);
  }

  async stop(): Promise<void> {
    if (this.guests.exitCode === null) {
      const exited = new Promise((done) => this.guests.once('exit', done));
      this.guests.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((done) => (timer = setTimeout(done, 20_000)))]);
      clearTimeout(timer);
      this.guests.kill('SIGKILL');
    }
    await this.vcsim.stop();
  }
}

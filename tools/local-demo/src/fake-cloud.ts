import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import type { AdaptorPaths } from './adaptor-process';
import type { ProviderLaunch } from './provider-launch';
import type { WorkerNode } from './worker-node';

// Keys the fake never checks; they show that the SDK signs and that no secret reaches a log.
export const FAKE_AWS_SECRET = 'fake/demo+secret/not-a-real-key-7Q2w';
const FAKE_AWS_ACCESS_KEY = 'AKIAFAKEDEMO00000001';

/**
 * `tools/fake-ec2` as a process in the worker node's namespace, so the daemon reaches it on that
 * namespace's loopback and its instances (pod VMs on its bridge) like cloud VMs. It uses the local
 * provider's bridge name, subnet and state directory, so one leak check covers both.
 */
export class FakeCloudProcess {
  readonly #child: ChildProcess;
  #output = '';
  readonly #exited: Promise<unknown>;

  private constructor(
    child: ChildProcess,
    readonly url: string,
    readonly controlSocket: string,
    output: string,
  ) {
    this.#child = child;
    this.#output = output;
    child.stdout!.on('data', (chunk: Buffer) => (this.#output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (this.#output += chunk));
    this.#exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
  }

  static async start(options: {
    binDir: string;
    worker: WorkerNode;
    paths: AdaptorPaths;
    dir: string;
  }): Promise<FakeCloudProcess> {
    const controlSocket = join(options.dir, 'fake-ec2.sock');
    const child = spawn(
      'nsenter',
      [
        `--net=${options.worker.path}`,
        join(options.binDir, 'fake-ec2'),
        '--bin-dir',
        options.binDir,
        '--state-dir',
        options.paths.stateDir,
        '--bridge',
        'ppbr0',
        '--subnet',
        '10.199.0.0/24',
        '--control-socket',
        controlSocket,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk);
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const until = Date.now() + 30_000;
    for (;;) {
      const url = /serving EC2 on (\S+)/.exec(output)?.[1];
      if (url) {
        child.stdout!.off('data', collect);
        child.stderr!.off('data', collect);
        return new FakeCloudProcess(child, url, controlSocket, output);
      }
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`fake-ec2 did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The daemon's flags and environment for this fake. */
  launch(): ProviderLaunch {
    return {
      args: [
        'aws',
        '-aws-endpoint',
        this.url,
        '-aws-region',
        'us-east-1',
        '-imageid',
        'ami-0fa4ce0b6a7e1c001',
        '-subnetid',
        'subnet-0fa4ce0b6a7e1c0aa',
        '-securitygroupids',
        'sg-0fa4ce0b6a7e1c0bb',
        // Given, so the daemon never asks the worker's metadata service (there is none here).
        '-keyname',
        'peerpods-fake',
      ],
      // Secrets through the environment, never argv (which every user can read in /proc).
      env: {
        AWS_ACCESS_KEY_ID: FAKE_AWS_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY: FAKE_AWS_SECRET,
        // No worker metadata here: 169.254.169.254 must never be asked.
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    };
  }

  get output(): string {
    return this.#output;
  }

  /** Instances the fake still runs (not terminated): `id state name` each. */
  async liveInstances(): Promise<string[]> {
    const body = await this.#control('GET', '/_fake/instances');
    return (JSON.parse(body) as { instanceId: string; state: string; name: string }[]).map(
      (instance) => `${instance.instanceId} ${instance.state} ${instance.name}`,
    );
  }

  /** Like {@link liveInstances}, once no instance is still shutting down (termination takes a moment). */
  async settledInstances(timeoutMs = 30_000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const live = await this.liveInstances();
      if (!live.some((line) => line.includes(' shutting-down ')) || Date.now() > until) return live;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Replaces the fake's faults (see Ec2Faults in tools/fake-ec2). */
  async setFaults(faults: Record<string, unknown>): Promise<void> {
    await this.#control('PUT', '/_fake/faults', JSON.stringify(faults));
  }

  #control(method: string, path: string, body?: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      const call = request({ socketPath: this.controlSocket, path, method }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk));
        response.on('end', () =>
          response.statusCode === 200 ? resolve(text) : reject(new Error(`${method} ${path}: ${text}`)),
        );
      });
      call.on('error', reject);
      call.end(body);
    });
  }

  /** SIGTERM: the fake terminates what is left, removes its bridge and exits. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

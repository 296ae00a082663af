import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { join } from 'node:path';
import { DEFAULT_ARM_CATALOG } from '@peerpods/fake-arm';
import { DEFAULT_CATALOG as EC2_CATALOG } from '@peerpods/fake-ec2';
import { DEFAULT_IBM_CATALOG, ibmProviderArgs } from '@peerpods/fake-ibm-vpc';
import type { AdaptorPaths } from './adaptor-process';
import type { CloudProvider, DemoCloud, ProviderLaunch } from './provider-launch';

// Credentials the fakes never check; they show that the SDKs authenticate and that no secret
// reaches a log.
export const FAKE_AWS_SECRET = 'fake/demo+secret/not-a-real-key-7Q2w';
export const FAKE_AZURE_SECRET = 'fake~demo~azure~secret~9Kp3';
/** The fake's IAM does check this one: it is the API key its catalog knows. */
export const FAKE_IBM_API_KEY = DEFAULT_IBM_CATALOG.apiKey;
const FAKE_AWS_ACCESS_KEY = 'AKIAFAKEDEMO00000001';

interface FakeKind {
  binary: string;
  ready: RegExp;
  args: (dir: string) => string[];
  /** The control API's listing, one line per resource that still exists. */
  listPath: string;
  lines: (body: string) => string[];
  launch: (url: string, dir: string) => ProviderLaunch;
}

const FAKES: Readonly<Record<CloudProvider, FakeKind>> = {
  aws: {
    binary: 'fake-ec2',
    ready: /serving EC2 on (\S+)/,
    args: () => [],
    listPath: '/_fake/instances',
    lines: (body) =>
      (JSON.parse(body) as { instanceId: string; state: string; name: string }[]).map(
        (instance) => `instance ${instance.instanceId} ${instance.state} ${instance.name}`,
      ),
    launch: (url) => ({
      args: [
        'aws',
        '-aws-endpoint',
        url,
        '-aws-region',
        EC2_CATALOG.region,
        '-imageid',
        EC2_CATALOG.images[0]!.imageId,
        '-subnetid',
        EC2_CATALOG.subnets[0]!,
        '-securitygroupids',
        EC2_CATALOG.securityGroups[0]!,
        // Given, so the daemon never asks the worker's metadata service (there is none here).
        '-keyname',
        EC2_CATALOG.keyPairs[0]!,
      ],
      // Secrets through the environment, never argv (which every user can read in /proc).
      env: {
        AWS_ACCESS_KEY_ID: FAKE_AWS_ACCESS_KEY,
        AWS_SECRET_ACCESS_KEY: FAKE_AWS_SECRET,
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    }),
  },
  azure: {
    binary: 'fake-arm',
    ready: /serving ARM and Entra ID on (\S+)/,
    args: (dir) => ['--ca-file', join(dir, 'fake-arm-ca.pem')],
    listPath: '/_fake/resources',
    lines: (body) => {
      const inventory = JSON.parse(body) as {
        vms: { name: string; state: string }[];
        networkInterfaces: string[];
        disks: string[];
        publicIPAddresses: string[];
      };
      return [
        ...inventory.vms.map((vm) => `VM ${vm.name} ${vm.state}`),
        ...inventory.networkInterfaces.map((name) => `NIC ${name}`),
        ...inventory.disks.map((name) => `disk ${name}`),
        ...inventory.publicIPAddresses.map((name) => `public IP ${name}`),
      ];
    },
    launch: (url, dir) => ({
      args: [
        'azure',
        '-azure-arm-endpoint',
        url,
        '-azure-authority-host',
        url,
        '-subscriptionid',
        DEFAULT_ARM_CATALOG.subscriptionId,
        '-region',
        DEFAULT_ARM_CATALOG.region,
        '-resourcegroup',
        DEFAULT_ARM_CATALOG.resourceGroup,
        '-subnetid',
        DEFAULT_ARM_CATALOG.subnets[0]!,
        '-imageid',
        DEFAULT_ARM_CATALOG.images[0]!,
      ],
      env: {
        AZURE_CLIENT_ID: '00000000-0000-4000-8000-00000000de30',
        AZURE_CLIENT_SECRET: FAKE_AZURE_SECRET,
        AZURE_TENANT_ID: DEFAULT_ARM_CATALOG.tenantId,
        // The fake's own CA, read by Node at start: the Azure SDK talks to it over HTTPS only.
        NODE_EXTRA_CA_CERTS: join(dir, 'fake-arm-ca.pem'),
      },
    }),
  },
  ibmcloud: {
    binary: 'fake-ibm-vpc',
    ready: /serving IBM Cloud VPC, IAM and tagging on (\S+)/,
    args: () => [],
    listPath: '/_fake/inventory',
    lines: (body) =>
      (JSON.parse(body) as { instances: { id: string; status: string; name: string }[] }).instances.map(
        (instance) => `instance ${instance.id} ${instance.status} ${instance.name}`,
      ),
    launch: (url) => ({
      args: ['ibmcloud', ...ibmProviderArgs(url)],
      env: { IBMCLOUD_API_KEY: FAKE_IBM_API_KEY },
    }),
  },
};

/**
 * A fake cloud (`tools/fake-ec2`, `tools/fake-arm` or `tools/fake-ibm-vpc`) as a process in the worker node's namespace,
 * so the daemon reaches it on that namespace's loopback and its instances (pod VMs on its bridge)
 * like cloud VMs. It uses the local provider's bridge name, subnet and state directory, so one leak
 * check covers every provider.
 */
export class FakeCloudProcess implements DemoCloud {
  readonly #child: ChildProcess;
  #output = '';
  readonly #exited: Promise<unknown>;

  private constructor(
    child: ChildProcess,
    readonly url: string,
    readonly controlSocket: string,
    output: string,
    private readonly kind: FakeKind,
    private readonly dir: string,
  ) {
    this.#child = child;
    this.#output = output;
    child.stdout!.on('data', (chunk: Buffer) => (this.#output += chunk));
    child.stderr!.on('data', (chunk: Buffer) => (this.#output += chunk));
    this.#exited = child.exitCode === null ? once(child, 'exit') : Promise.resolve();
  }

  static async start(options: {
    provider: CloudProvider;
    binDir: string;
    worker: { path: string };
    paths: AdaptorPaths;
    dir: string;
  }): Promise<FakeCloudProcess> {
    const kind = FAKES[options.provider];
    const controlSocket = join(options.dir, `${kind.binary}.sock`);
    const child = spawn(
      'nsenter',
      [
        `--net=${options.worker.path}`,
        join(options.binDir, kind.binary),
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
        ...kind.args(options.dir),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
    );
    let output = '';
    const collect = (chunk: Buffer) => (output += chunk);
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const until = Date.now() + 30_000;
    for (;;) {
      const url = kind.ready.exec(output)?.[1];
      if (url) {
        child.stdout!.off('data', collect);
        child.stderr!.off('data', collect);
        return new FakeCloudProcess(child, url, controlSocket, output, kind, options.dir);
      }
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > until) {
        child.kill('SIGKILL');
        throw new Error(`${kind.binary} did not start:\n${output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The daemon's flags and environment for this fake. */
  launch(): ProviderLaunch {
    return this.kind.launch(this.url, this.dir);
  }

  get name(): string {
    return this.kind.binary;
  }

  get output(): string {
    return this.#output;
  }

  /** What the fake still has (instances, VMs, NICs, disks, public IPs): one line each. */
  async liveInstances(): Promise<string[]> {
    return this.kind.lines(await this.#control('GET', this.kind.listPath));
  }

  /** Like {@link liveInstances}, once nothing is still being deleted (that takes a moment). */
  async settledInstances(timeoutMs = 30_000): Promise<string[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const live = await this.liveInstances();
      if (!live.some((line) => / (shutting-down|Deleting)\b/.test(line)) || Date.now() > until) return live;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Replaces the fake's faults (Ec2Faults or ArmFaults). */
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

  /** SIGTERM: the fake deletes what is left, removes its bridge and exits. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), timeoutMs);
    await this.#exited;
    clearTimeout(timer);
  }
}

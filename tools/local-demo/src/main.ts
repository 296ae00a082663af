// `npm start [-- --provider aws]`: one whole peer pod on this machine, then everything removed.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { LaunchedSandbox } from '@peerpods/shim-client';
import { LocalNode } from './local-node';
import { podvmImage } from './podvm-image';
import { formatMs, phase } from './progress';
import { DEMO_PROVIDERS, type DemoProvider } from './provider-launch';
import { fetchCommand, WEB_PAGE, WEB_PORT } from './worker-web-server';

const binDir = resolve(import.meta.dirname, '../../../dist/bin');

const USAGE =
  'usage: npm start [-- --provider local|aws|azure|ibmcloud|vsphere|libvirt]\n' +
  '  local (default): the embedded local provider, pod VMs as network namespaces\n' +
  '  aws: the aws provider (the real @aws-sdk/client-ec2) against tools/fake-ec2, a FAKE EC2 whose\n' +
  '       instances boot as the same local pod VMs and fetch their user-data from its IMDSv2\n' +
  '  azure: the azure provider (the real @azure/arm-compute, arm-network, identity) against tools/fake-arm,\n' +
  '       a FAKE Resource Manager and Entra ID over HTTPS whose VMs boot the same way (Azure IMDS)\n' +
  '  ibmcloud: the ibmcloud provider (ibm-cloud-sdk-core and our VPC client) against tools/fake-ibm-vpc,\n' +
  "       a FAKE VPC, IAM and Global Tagging whose instances boot the same way (VPC's metadata service)\n" +
  "  vsphere: the vsphere provider (vim25 SOAP) against govmomi's vcsim, a SIMULATED vCenter, whose clones\n" +
  '       get a pod VM each (their user-data from guestinfo.userdata)\n' +
  '  libvirt: the libvirt provider against a real libvirtd in the worker namespace, booting a real QEMU VM\n' +
  '       (TCG: no KVM needed) from a pod VM image podvm-image-builder builds first. Slower: the first\n' +
  '       run builds the image (about 2 minutes; later runs reuse it), and the VM boots in about a minute\n';
let provider: DemoProvider;
try {
  const { values } = parseArgs({
    options: { provider: { type: 'string', default: 'local' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (!DEMO_PROVIDERS.includes(values.provider as DemoProvider)) {
    throw new Error(
      `--provider ${JSON.stringify(values.provider)}: expected one of ${DEMO_PROVIDERS.join(', ')}`,
    );
  }
  provider = values.provider as DemoProvider;
} catch (error) {
  process.stderr.write(`npm start: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const PROVIDER_TEXT: Record<DemoProvider, { what: string; starting: string; instance: string }> = {
  local: {
    what: 'the local provider',
    starting: 'starting cloud-api-adaptor (local provider) in a worker namespace',
    instance: '  instance (local provider: pod VM namespace, user-data, agent and forwarder booted)',
  },
  aws: {
    what: 'the aws provider against a fake EC2 (tools/fake-ec2)',
    starting: 'starting fake-ec2 and cloud-api-adaptor (aws provider) in a worker namespace',
    instance: '  instance (aws: RunInstances through the SDK; the pod VM boots after it answers)',
  },
  azure: {
    what: 'the azure provider against a fake Azure Resource Manager (tools/fake-arm)',
    starting: 'starting fake-arm and cloud-api-adaptor (azure provider) in a worker namespace',
    instance:
      '  instance (azure: token, VM create polled to Succeeded, NIC read; the pod VM boots meanwhile)',
  },
  ibmcloud: {
    what: 'the ibmcloud provider against a fake IBM Cloud VPC (tools/fake-ibm-vpc)',
    starting: 'starting fake-ibm-vpc and cloud-api-adaptor (ibmcloud provider) in a worker namespace',
    instance:
      '  instance (ibmcloud: IAM token, POST /instances, addresses, tags attached; the pod VM boots meanwhile)',
  },
  vsphere: {
    what: "the vsphere provider against govmomi's vSphere simulator (tools/vcsim)",
    starting: 'starting vcsim, vcsim-guests and cloud-api-adaptor (vsphere provider) in a worker namespace',
    instance: '  instance (vsphere: clone from the template, reconfigure, power on, guest address)',
  },
  libvirt: {
    what: 'the libvirt provider and a real QEMU VM (libvirtd in the worker namespace)',
    starting:
      'starting libvirtd (storage pool, isolated network), uploading the image, starting cloud-api-adaptor (libvirt provider)',
    instance: '  instance (libvirt: volumes, cidata ISO, domain defined and started, DHCP lease)',
  },
};
const providerText = PROVIDER_TEXT[provider].what;

if (process.getuid?.() !== 0) {
  process.stderr.write(
    'npm start needs root: it creates network namespaces, veth, bridge and VXLAN links and iptables rules\n' +
      '(all inside namespaces it makes and removes again). Run it as root, for example: sudo npm start\n',
  );
  process.exit(1);
}

const summary: [string, number][] = [];
let node: LocalNode | undefined;
let pod: LaunchedSandbox | undefined;
const interrupt = new AbortController();

async function cleanUp(): Promise<string[]> {
  if (pod) {
    const current = pod;
    pod = undefined;
    await phase('StopVM and pod network removal', () =>
      node!.stopPod(current, (step) => {
        if (step.step === 'StopVM') summary.push(['StopVM', step.ms]);
      }),
    );
  }
  if (!node) return [];
  const current = node;
  node = undefined;
  const { result } = await phase('stopping cloud-api-adaptor, removing the worker node', () =>
    current.stop(),
  );
  return result;
}

// Ctrl-C stops what runs and cleans up. The daemon has its own process group, so it is stopped in
// order rather than by the terminal. Repeats are ignored (tsx relays the terminal's signal too).
process.on('SIGINT', () => {
  if (interrupt.signal.aborted) return;
  process.stdout.write('\ninterrupted: cleaning up\n');
  interrupt.abort(new Error('interrupted'));
});

try {
  console.log(`peer pods on one machine, with ${providerText}\n`);
  let libvirtImage: string | undefined;
  if (provider === 'libvirt') {
    console.log('0. the pod VM image (podvm-image-builder, from dist/bin)');
    const image = await podvmImage(binDir, (line) => console.log(`     | ${line}`));
    libvirtImage = image.path;
    console.log(
      image.built
        ? `     built ${image.path} in ${formatMs(image.ms)}\n`
        : `     reusing ${image.path}: built from these same binaries before\n`,
    );
    if (image.built) summary.push(['pod VM image build', image.ms]);
  }
  interrupt.signal.throwIfAborted();
  console.log('1. worker node and cloud-api-adaptor');
  node = (
    await phase(
      PROVIDER_TEXT[provider].starting,
      () => LocalNode.start({ binDir, name: `ppdemo-${process.pid}`, provider, libvirtImage }),
      (started) => `namespace ${started.worker.name}, socket ${started.adaptor.paths.socket}`,
    )
  ).result;
  interrupt.signal.throwIfAborted();

  console.log('\n2. one peer pod (what kubelet, the CNI plugin and the kata shim do)');
  const launching =
    provider === 'libvirt'
      ? 'pod network, CreateVM, StartVM (the VM boots under TCG: about a minute), CreateSandbox'
      : 'pod network, CreateVM, StartVM, CreateSandbox';
  const launched = await phase(launching, () =>
    node!.launchPod({
      signal: interrupt.signal,
      onStep: (step) => {
        if (step.step === 'CreateVM' || step.step === 'StartVM') summary.push([step.step, step.ms]);
      },
    }),
  );
  pod = launched.result;
  const network = pod.state.podNetwork;
  const phases = node.adaptor.startPhases(pod.state.id);
  if (phases) {
    summary.push([PROVIDER_TEXT[provider].instance, phases.instanceMs]);
    summary.push(['  tunnel (VXLAN, worker side)', phases.tunnelMs]);
    summary.push([
      '  proxy connect (mutual TLS to the forwarder, once the pod VM has booted)',
      phases.proxyMs,
    ]);
  }
  console.log(
    `     pod ${pod.state.id.slice(0, 12)}: IP ${network.ip}/${network.prefixLength}, MAC ${network.mac}, netns ${network.name}`,
  );

  console.log(
    '\n3. a command inside the pod VM (through agent.ttrpc → cloud-api-adaptor → mTLS → forwarder → agent)',
  );
  const url = `http://${network.gateway}:${WEB_PORT}/`;
  const command = `echo "pod VM's pod namespace:"; ip -br link; ip -br -4 addr; echo; echo "GET ${url}:"; ${fetchCommand(provider, url)}`;
  const exec = await phase('exec', () =>
    node!.exec(pod!, { args: ['sh', '-c', command], signal: interrupt.signal }),
  );
  summary.push(['exec (CreateContainer, StartContainer, output, WaitProcess)', exec.ms]);
  const output = exec.result.stdout.toString();
  process.stdout.write(`${output.replace(/^/gm, '     | ')}\n`);
  if (exec.result.stderr.length > 0)
    process.stdout.write(exec.result.stderr.toString().replace(/^/gm, '     ! '));
  const checks = [
    [
      `the pod IP ${network.ip} is inside the pod VM`,
      output.includes(`${network.ip}/${network.prefixLength}`),
    ],
    [`the pod MAC ${network.mac} is inside the pod VM`, output.includes(network.mac)],
    ['the page came back through the tunnel', output.includes(WEB_PAGE.trim())],
    ['the command exited 0', exec.result.exitCode === 0],
  ] as const;
  for (const [what, ok] of checks) console.log(`     ${ok ? '✓' : '✗'} ${what}`);

  console.log('\n4. clean-up');
  const leftovers = await cleanUp();
  console.log(
    leftovers.length === 0
      ? '     ✓ nothing left behind'
      : `     ✗ left behind:\n${leftovers.map((l) => `       ${l}`).join('\n')}`,
  );

  console.log('\nsummary');
  for (const [what, ms] of summary) console.log(`  ${formatMs(ms).padStart(9)}  ${what}`);
  const failed = checks.some(([, ok]) => !ok) || leftovers.length > 0;
  process.exit(failed ? 1 : 0);
} catch (error) {
  if (!interrupt.signal.aborted) process.stderr.write(`\nnpm start failed: ${(error as Error).message}\n`);
  const leftovers = await cleanUp().catch((cleanupError: unknown) => [
    `clean-up failed: ${String(cleanupError)}`,
  ]);
  if (leftovers.length > 0) process.stderr.write(`left behind:\n${leftovers.join('\n')}\n`);
  process.exit(interrupt.signal.aborted ? 130 : 1);
}

// The libvirt provider end to end, on the built binaries: a pod VM image built by podvm-image-builder
// (cached between runs), a real libvirtd and virtlogd in the worker node's namespace, and a real QEMU
// VM (TCG) booting our pod-VM programs under systemd. Needs root; several minutes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LibvirtCloud } from '../src/libvirt-cloud';
import { podvmImage } from '../src/podvm-image';
import { fetchCommand, WEB_PAGE, WEB_PORT } from '../src/worker-web-server';
import { binDir, startNode } from './support';

test('libvirt: CreateVM and StartVM boot a real VM from our image; exec and HTTP cross mTLS and the tunnel; StopVM leaves no domain or volume', {
  timeout: 900_000,
}, async () => {
  const image = await podvmImage(binDir);
  const node = await startNode({ provider: 'libvirt', libvirtImage: image.path });
  const cloud = node.cloud as LibvirtCloud;
  try {
    const pod = await node.launchPod();
    const network = pod.state.podNetwork;
    const [domain] = await cloud.settledInstances();
    assert.match(domain ?? '', /^domain podvm-ppe2e-/, 'the pod VM is a libvirt domain');

    const url = `http://${network.gateway}:${WEB_PORT}/`;
    const result = await node.exec(pod, {
      args: [
        'sh',
        '-c',
        `cat /etc/os-release; ip -br link show eth0; ip -br -4 addr show eth0; ip route; ${fetchCommand('libvirt', url)} 2>&1; exit 7`,
      ],
    });
    const output = result.stdout.toString();
    assert.equal(result.exitCode, 7, `${output}\n${result.stderr}`);
    assert.match(output, /^VARIANT_ID=peerpods-dev$/m, 'the command ran in the built image');
    assert.match(output, new RegExp(`eth0\\S*\\s+UNKNOWN\\s+${network.mac}`), 'the pod MAC, in the VM');
    assert.match(
      output,
      new RegExp(`${network.ip.replaceAll('.', '\\.')}/${network.prefixLength}`),
      'the pod IP, in the VM',
    );
    assert.ok(output.includes(WEB_PAGE), `the page through the tunnel:\n${output}`);
    // The forwarder in the VM served this over mutual TLS: the daemon's proxy connected to it.
    assert.match(
      node.adaptor.output,
      /established agent proxy connection to tls:10\.198\.0\.\d+:15150/,
      node.adaptor.output,
    );

    const stopped = await node.stopPod(pod);
    assert.deepEqual(stopped.errors, []);
    assert.deepEqual(await cloud.settledInstances(), [], 'StopVM removed the domain and its volumes');
    assert.deepEqual(await node.stop(), [], 'nothing else left either');
  } catch (error) {
    throw new Error(
      `${(error as Error).message}\n--- daemon:\n${node.adaptor.output.slice(-6000)}\n--- libvirt:\n${cloud.logs().slice(-8000)}`,
      { cause: error },
    );
  }
});

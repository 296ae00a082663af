// Runs inside the worker node's namespace beside vcsim (govmomi's vSphere simulator): makes the
// template, and gives every clone that powers on a pod VM of its own (pod-vm-host, on the local
// provider's bridge). The pod VM reads its user-data from the clone's guestinfo as on vSphere (DMI
// "VMware, Inc." and vmware-rpctool); its address is then set as the clone's guest address (what
// VMware Tools report on vSphere). A clone that is powered off or destroyed loses its pod VM.
// Control API on a unix socket: GET /_fake/instances. Stops on SIGTERM.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ControlSocket } from '@peerpods/fake-cloud-kit';
import { parseIpv4Subnet } from '@peerpods/netops';
import { LOCAL_PROVIDER_LABELS, PodVmHost } from '@peerpods/pod-vm-host';
import { optionValues, textOf, Vcenter, xmlText } from '@peerpods/provider-vsphere/vim';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    ca: { type: 'string' },
    user: { type: 'string' },
    'bin-dir': { type: 'string' },
    'state-dir': { type: 'string' },
    'control-socket': { type: 'string' },
  },
});
const log = (line: string) => process.stderr.write(`vcsim-guests: ${line}\n`);
const binDir = values['bin-dir']!;
const vcenter = await Vcenter.connect({
  url: new URL(values.url!),
  username: values.user!,
  // Through the environment, never argv.
  password: process.env.VCSIM_PASSWORD ?? '',
  trust: { ca: readFileSync(values.ca!, 'utf8') },
  log,
});

const template = 'podvm-template';
if (!(await vcenter.findByInventoryPath(`DC0/vm/${template}`))) {
  await vcenter.cloneAsTemplate('DC0/vm/DC0_H0_VM0', 'DC0/vm', 'DC0/host/DC0_H0/Resources', template);
}

const host = await PodVmHost.start({
  subnet: parseIpv4Subnet('10.199.0.0/24'),
  bridge: 'ppbr0',
  stateDir: values['state-dir']!,
  binaries: {
    processUserData: `${binDir}/process-user-data`,
    forwarder: `${binDir}/agent-protocol-forwarder`,
    agent: `${binDir}/dev-agent`,
  },
  log,
  labels: LOCAL_PROVIDER_LABELS,
});

/**
 * A vSphere guest as process-user-data sees it: DMI says VMware, and vmware-rpctool answers the
 * clone's guestinfo.* keys (open-vm-tools' tool, here a script holding this clone's values).
 */
function vmwareGuest(config: Record<string, string>): Record<string, string> {
  const quote = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;
  const keys = Object.entries(config)
    .filter(([key]) => key.startsWith('guestinfo.'))
    .map(([key, value]) => `  ${quote(`info-get ${key}`)}) printf '%s' ${quote(value)} ;;`);
  return {
    'sys/class/dmi/id/sys_vendor': 'VMware, Inc.\n',
    'usr/bin/vmware-rpctool': [
      '#!/bin/sh',
      'case "$1" in',
      ...keys,
      '  *) echo "No value found" >&2; exit 1 ;;',
      'esac',
      '',
    ].join('\n'),
  };
}

const booted = new Map<string, string>(); // clone name → pod VM name
const stop = new AbortController();

/** The clones vcsim has now (the template aside), with their power state. */
async function clones(): Promise<{ name: string; power: string }[]> {
  const vms = await vcenter.virtualMachines(['name', 'runtime.powerState']);
  return vms
    .map(({ properties }) => ({
      name: textOf(properties.name),
      power: textOf(properties['runtime.powerState']),
    }))
    .filter((vm) => vm.name.startsWith('podvm-') && vm.name !== template);
}

async function sync(): Promise<void> {
  const vms = await vcenter.virtualMachines(
    ['name', 'runtime.powerState', 'config.extraConfig'],
    stop.signal,
  );
  const seen = new Set<string>();
  for (const { ref, properties } of vms) {
    const name = textOf(properties.name);
    if (!name.startsWith('podvm-') || name === template) continue;
    const power = textOf(properties['runtime.powerState']);
    if (power !== 'poweredOn') continue;
    seen.add(name);
    if (booted.has(name)) continue;
    const config = optionValues(properties['config.extraConfig']);
    const { record } = host.launch(name, { hardware: vmwareGuest(config), signal: stop.signal });
    booted.set(name, record.name);
    log(`clone ${name} powered on: pod VM at ${record.ip}`);
    await vcenter.runTask(
      'ReconfigVM_Task',
      ref,
      `<spec><extraConfig xsi:type="OptionValue"><key>SET.guest.ipAddress</key><value xsi:type="xsd:string">${xmlText(record.ip)}</value></extraConfig></spec>`,
      stop.signal,
    );
  }
  for (const [name, podVm] of booted) {
    if (seen.has(name)) continue;
    booted.delete(name);
    await host.destroy(podVm);
    log(`clone ${name} is off or gone: its pod VM removed`);
  }
}

const control = await ControlSocket.listen(values['control-socket']!, (path, method, _body, response) => {
  if (method !== 'GET' || path !== '/_fake/instances') {
    response.writeHead(404).end();
    return;
  }
  // Asked of vcsim now, not from the last sync, which may be busy booting or removing pod VMs.
  clones().then(
    (list) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(list)),
    (error: unknown) => response.writeHead(500).end(String(error)),
  );
});

process.once('SIGTERM', () => stop.abort());
process.stdout.write('vcsim-guests: ready\n');
while (!stop.signal.aborted) {
  await sync().catch((error: unknown) => {
    if (!stop.signal.aborted) log(`sync: ${(error as Error).message}`);
  });
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await control.close();
await host.teardown();
await vcenter.logout();
log('stopped');

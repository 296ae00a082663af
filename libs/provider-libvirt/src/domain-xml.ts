import { XMLParser } from 'fast-xml-parser';
import { xmlEscape } from './xml-escape';

/** Our namespace in a domain's <metadata>: who owns the VM, so listInstances finds this node's. */
export const OWNER_NAMESPACE = 'urn:x-peerpods:instance:1';

export interface DomainSpec {
  name: string;
  /** `kvm` when the daemon's capabilities offer it, else `qemu` (TCG). */
  type: 'kvm' | 'qemu';
  vcpus: number;
  memoryMiB: number;
  cpuset: string;
  rootDiskPath: string;
  cidataPath: string;
  networkName: string;
  /** UEFI firmware for pflash; empty: BIOS. */
  firmware: string;
  tags: Readonly<Record<string, string>>;
  createdAt: Date;
}

/**
 * The x86_64 domain a pod VM is (upstream's libvirt provider, §7): memory and vCPUs, ACPI/APIC,
 * VMPort off, the root disk first in boot order, the cidata seed, a virtio NIC on the network and a
 * serial console. The disks are on virtio, which every kernel a pod VM boots has (Debian's cloud
 * kernel has no SATA driver, upstream's Ubuntu images have both).
 */
export function domainXml(spec: DomainSpec): string {
  const efi = spec.firmware !== '';
  const cpu =
    spec.type === 'kvm'
      ? "<cpu mode='host-model'/>"
      : // TCG: every feature QEMU emulates, so the guest's Node runtime finds the instructions it wants.
        "<cpu mode='maximum'/>";
  const tags = Object.entries(spec.tags)
    .map(([key, value]) => `<peerpods:tag key="${xmlEscape(key)}">${xmlEscape(value)}</peerpods:tag>`)
    .join('');
  return [
    `<domain type='${spec.type}'>`,
    `<name>${xmlEscape(spec.name)}</name>`,
    `<metadata><peerpods:instance xmlns:peerpods="${OWNER_NAMESPACE}">${tags}<peerpods:created>${spec.createdAt.toISOString()}</peerpods:created></peerpods:instance></metadata>`,
    `<memory unit='MiB'>${spec.memoryMiB}</memory>`,
    `<vcpu placement='static'${spec.cpuset ? ` cpuset='${xmlEscape(spec.cpuset)}'` : ''}>${spec.vcpus}</vcpu>`,
    '<os>',
    `<type arch='x86_64' machine='${efi ? 'q35' : 'pc'}'>hvm</type>`,
    efi ? `<loader readonly='yes' type='pflash'>${xmlEscape(spec.firmware)}</loader>` : '',
    '</os>',
    "<features><acpi/><apic/><vmport state='off'/></features>",
    cpu,
    "<clock offset='utc'/>",
    '<on_poweroff>destroy</on_poweroff><on_reboot>restart</on_reboot><on_crash>destroy</on_crash>',
    '<devices>',
    `<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${xmlEscape(spec.rootDiskPath)}'/><target dev='vda' bus='virtio'/><boot order='1'/></disk>`,
    `<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${xmlEscape(spec.cidataPath)}'/><target dev='vdb' bus='virtio'/><readonly/></disk>`,
    `<interface type='network'><source network='${xmlEscape(spec.networkName)}'/><model type='virtio'/></interface>`,
    // The console is also kept in libvirt's log directory (by virtlogd): on a cloud the console is
    // the one view of a pod VM's boot, and here it stays on the worker after the domain is gone.
    `<serial type='pty'><log file='/var/log/libvirt/qemu/${xmlEscape(spec.name)}-console.log' append='off'/><target port='0'/></serial>`,
    "<console type='pty'><target type='serial' port='0'/></console>",
    '</devices>',
    '</domain>',
  ].join('');
}

export interface DomainFacts {
  /** Our ownership tags; empty for a domain we did not make. */
  tags: Record<string, string>;
  createdAt: Date | undefined;
  /** Files behind the domain's disks (volumes to delete with it). */
  diskFiles: string[];
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: false,
  isArray: (name) => ['disk', 'peerpods:tag'].includes(name),
});

type XmlNode = Record<string, unknown>;
const asNode = (value: unknown): XmlNode => (value && typeof value === 'object' ? (value as XmlNode) : {});
const asList = (value: unknown): XmlNode[] =>
  Array.isArray(value) ? value.map(asNode) : value === undefined ? [] : [asNode(value)];

/** What a domain's XML says about its owner and its disks. */
export function domainFacts(xml: string): DomainFacts {
  const domain = asNode(asNode(parser.parse(xml)).domain);
  const metadata = asNode(domain.metadata);
  // libvirt keeps the element and its namespace but may rename the prefix; find it by namespace.
  const instance = Object.entries(metadata)
    .map(([, value]) => asNode(value))
    .find((node) =>
      Object.entries(node).some(([key, value]) => key.startsWith('@xmlns:') && value === OWNER_NAMESPACE),
    );
  const tags: Record<string, string> = {};
  let createdAt: Date | undefined;
  if (instance) {
    const prefix = Object.entries(instance)
      .find(([key, value]) => key.startsWith('@xmlns:') && value === OWNER_NAMESPACE)![0]
      .slice('@xmlns:'.length);
    for (const tag of asList(instance[`${prefix}:tag`])) {
      const key = tag['@key'];
      if (typeof key === 'string') tags[key] = String(tag['#text'] ?? '');
    }
    const created = instance[`${prefix}:created`];
    if (typeof created === 'string') createdAt = new Date(created);
  }
  const diskFiles = asList(asNode(domain.devices).disk)
    .filter((disk) => disk['@type'] === 'file')
    .map((disk) => asNode(disk.source)['@file'])
    .filter((file): file is string => typeof file === 'string');
  return { tags, createdAt, diskFiles };
}

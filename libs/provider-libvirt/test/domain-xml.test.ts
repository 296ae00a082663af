import assert from 'node:assert/strict';
import { test } from 'node:test';
import { domainFacts, domainXml, OWNER_NAMESPACE } from '../src/domain-xml';

const spec = {
  name: 'podvm-web-0a1b2c3d',
  type: 'qemu' as const,
  vcpus: 2,
  memoryMiB: 1024,
  cpuset: '0-1',
  rootDiskPath: '/pool/podvm-web-0a1b2c3d-root.qcow2',
  cidataPath: '/pool/podvm-web-0a1b2c3d-cloudinit.iso',
  networkName: 'default',
  firmware: '',
  tags: { 'peerpods-sandbox-id': 'abc', 'peerpods-node': 'worker-1', odd: `a<b&"c'` },
  createdAt: new Date('2026-12-07T04:00:00.000Z'),
};

test('the domain: memory, vCPUs with cpuset, virtio disks (root first), the network, a serial console, BIOS', () => {
  const xml = domainXml(spec);
  assert.match(xml, /^<domain type='qemu'>/);
  assert.match(xml, /<memory unit='MiB'>1024<\/memory>/);
  assert.match(xml, /<vcpu placement='static' cpuset='0-1'>2<\/vcpu>/);
  assert.match(xml, /<type arch='x86_64' machine='pc'>hvm<\/type>/);
  assert.doesNotMatch(xml, /<loader/);
  assert.match(xml, /<features><acpi\/><apic\/><vmport state='off'\/><\/features>/);
  assert.match(xml, /<cpu mode='maximum'\/>/);
  assert.match(xml, /root\.qcow2'\/><target dev='vda' bus='virtio'\/><boot order='1'\/>/);
  assert.match(xml, /cloudinit\.iso'\/><target dev='vdb' bus='virtio'\/><readonly\/>/);
  assert.match(
    xml,
    /<interface type='network'><source network='default'\/><model type='virtio'\/><\/interface>/,
  );
  assert.match(
    xml,
    /<serial type='pty'><log file='\/var\/log\/libvirt\/qemu\/[^']+-console\.log' append='off'\/>/,
  );
});

test('with firmware: q35 and a pflash loader; with KVM: the host CPU model', () => {
  const xml = domainXml({ ...spec, type: 'kvm', firmware: '/usr/share/OVMF/OVMF_CODE_4M.fd' });
  assert.match(xml, /^<domain type='kvm'>/);
  assert.match(xml, /machine='q35'/);
  assert.match(xml, /<loader readonly='yes' type='pflash'>\/usr\/share\/OVMF\/OVMF_CODE_4M\.fd<\/loader>/);
  assert.match(xml, /<cpu mode='host-model'\/>/);
});

test('the ownership tags and creation time come back from the XML, as libvirt returns it, with the disk files', () => {
  const facts = domainFacts(domainXml(spec));
  assert.deepEqual(facts.tags, spec.tags);
  assert.deepEqual(facts.createdAt, spec.createdAt);
  assert.deepEqual(facts.diskFiles, [spec.rootDiskPath, spec.cidataPath]);
  // libvirt may give the element another prefix; the namespace is what counts.
  const renamed = `<domain><metadata><x:instance xmlns:x="${OWNER_NAMESPACE}"><x:tag key="peerpods-node">n</x:tag></x:instance></metadata><devices/></domain>`;
  assert.deepEqual(domainFacts(renamed).tags, { 'peerpods-node': 'n' });
  assert.deepEqual(domainFacts('<domain><name>other</name></domain>'), {
    tags: {},
    createdAt: undefined,
    diskFiles: [],
  });
});

import type { FakeInstance } from './instance-store';
import { STATE_CODES } from './instance-store';
import type { XmlValue } from './xml-response';

const OWNER_ID = '123456789012';
const VPC_ID = 'vpc-0fa4ce0b6a7e1c0cc';

/** One instance as EC2's XML names its members (what the SDK's deserializer reads). */
export function instanceXml(instance: FakeInstance, availabilityZone: string): Record<string, XmlValue> {
  const { spec } = instance;
  const dns = `ip-${instance.privateIp.replaceAll('.', '-')}.ec2.internal`;
  return {
    instanceId: instance.instanceId,
    imageId: spec.imageId,
    instanceState: { code: STATE_CODES[instance.state], name: instance.state },
    privateDnsName: instance.state === 'terminated' ? '' : dns,
    dnsName: '',
    keyName: spec.keyName,
    amiLaunchIndex: 0,
    instanceType: spec.instanceType,
    launchTime: instance.launchTime.toISOString(),
    placement: { availabilityZone, tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: instance.state === 'terminated' ? undefined : spec.subnetId,
    vpcId: instance.state === 'terminated' ? undefined : VPC_ID,
    privateIpAddress: instance.state === 'terminated' ? undefined : instance.privateIp,
    ipAddress: instance.publicIp,
    groupSet: spec.securityGroupIds.map((groupId) => ({ groupId, groupName: groupId })),
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: spec.rootDeviceName,
    blockDeviceMapping:
      instance.state === 'terminated'
        ? []
        : [
            {
              deviceName: spec.rootDeviceName,
              ebs: {
                volumeId: instance.volumeId,
                status: 'attached',
                attachTime: instance.launchTime.toISOString(),
                deleteOnTermination: true,
              },
            },
          ],
    clientToken: instance.clientToken ?? '',
    tagSet: Object.entries(spec.tags).map(([key, value]) => ({ key, value })),
    networkInterfaceSet:
      instance.state === 'terminated'
        ? []
        : [
            {
              networkInterfaceId: instance.networkInterfaceId,
              subnetId: spec.subnetId,
              vpcId: VPC_ID,
              ownerId: OWNER_ID,
              status: 'in-use',
              privateIpAddress: instance.privateIp,
              privateDnsName: dns,
              attachment: {
                attachmentId: `eni-attach-${instance.networkInterfaceId.slice(4)}`,
                deviceIndex: 0,
                status: 'attached',
                deleteOnTermination: true,
              },
              association: instance.publicIp
                ? { publicIp: instance.publicIp, ipOwnerId: 'amazon' }
                : undefined,
              groupSet: spec.securityGroupIds.map((groupId) => ({ groupId, groupName: groupId })),
            },
          ],
    cpuOptions: { coreCount: 1, threadsPerCore: 2, amdSevSnp: spec.amdSevSnp ? 'enabled' : 'disabled' },
  };
}

export function reservationXml(
  instances: FakeInstance[],
  availabilityZone: string,
): Record<string, XmlValue> {
  return {
    reservationId: instances[0]?.reservationId ?? '',
    ownerId: OWNER_ID,
    groupSet: [],
    instancesSet: instances.map((instance) => instanceXml(instance, availabilityZone)),
  };
}

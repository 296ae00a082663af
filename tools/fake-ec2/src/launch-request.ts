import type { FakeCatalog } from './catalog';
import { Ec2Error } from './ec2-error';
import type { LaunchSpec } from './instance-store';
import type { QueryParams } from './query-params';

// EC2 limits user-data to 16 KB before base64.
const USER_DATA_MAX_BYTES = 16 * 1024;
// Families with AMD SEV-SNP (EC2 documents it for m6a, c6a and r6a).
const SEV_SNP_FAMILIES = /^(m6a|c6a|r6a)\./;

const parameter = (name: string) =>
  new Ec2Error('MissingParameter', `The request must contain the parameter ${name}`);
const invalid = (message: string) => new Ec2Error('InvalidParameterValue', message);

/** RunInstances' parameters, checked against the account as EC2 checks them, with EC2's codes. */
export function launchSpec(params: QueryParams, catalog: FakeCatalog): { spec: LaunchSpec; count: number } {
  const templateName = params.get('LaunchTemplate.LaunchTemplateName');
  const template =
    templateName === undefined ? undefined : catalog.launchTemplates.find((t) => t.name === templateName);
  if (templateName !== undefined && !template) {
    throw new Ec2Error(
      'InvalidLaunchTemplateName.NotFoundException',
      `The specified launch template, with template name ${templateName}, does not exist.`,
    );
  }
  const minCount = Number(params.get('MinCount') ?? Number.NaN);
  const maxCount = Number(params.get('MaxCount') ?? Number.NaN);
  if (!Number.isInteger(minCount)) throw parameter('MinCount');
  if (!Number.isInteger(maxCount)) throw parameter('MaxCount');
  if (minCount < 1 || maxCount < minCount) {
    throw invalid(`Invalid value '${maxCount}' for MaxCount: must be at least MinCount (${minCount}) and 1`);
  }

  const imageId = params.get('ImageId') ?? template?.imageId;
  if (imageId === undefined) throw parameter('ImageId');
  if (!/^ami-[0-9a-f]{8,17}$/.test(imageId))
    throw new Ec2Error('InvalidAMIID.Malformed', `Invalid id: "${imageId}" (expecting "ami-...")`);
  const image = catalog.images.find((candidate) => candidate.imageId === imageId);
  if (!image) throw new Ec2Error('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);

  const instanceType = params.get('InstanceType') ?? template?.instanceType ?? 'm1.small';
  if (!catalog.instanceTypes.some((type) => type.instanceType === instanceType)) {
    throw invalid(`Invalid value '${instanceType}' for InstanceType.`);
  }

  const interfaces = params.structs('NetworkInterface');
  const topSubnet = params.get('SubnetId');
  const topGroups = params.list('SecurityGroupId');
  if (interfaces.length > 0 && (topSubnet !== undefined || topGroups.length > 0)) {
    throw new Ec2Error(
      'InvalidParameterCombination',
      'Network interfaces and an instance-level subnet ID or security groups may not be specified on the same request',
    );
  }
  const primary = interfaces[0];
  const subnetId = primary?.get('SubnetId') ?? topSubnet ?? template?.subnetId ?? catalog.subnets[0]!;
  if (!catalog.subnets.includes(subnetId)) {
    throw new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
  }
  const securityGroupIds = primary ? primary.list('SecurityGroupId') : topGroups;
  const groups = securityGroupIds.length > 0 ? securityGroupIds : (template?.securityGroupIds ?? []);
  for (const group of groups) {
    if (!catalog.securityGroups.includes(group)) {
      throw new Ec2Error('InvalidGroup.NotFound', `The security group '${group}' does not exist`);
    }
  }
  const keyName = params.get('KeyName');
  if (keyName !== undefined && !catalog.keyPairs.includes(keyName)) {
    throw new Ec2Error('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
  }

  const encoded = params.get('UserData') ?? '';
  const userData = Buffer.from(encoded, 'base64');
  if (encoded !== '' && userData.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
    throw invalid('Invalid BASE64 encoding of user data.');
  }
  if (userData.length > USER_DATA_MAX_BYTES)
    throw invalid(`User data is limited to ${USER_DATA_MAX_BYTES} bytes.`);

  const amdSevSnp = params.get('CpuOptions.AmdSevSnp') === 'enabled';
  if (amdSevSnp && !SEV_SNP_FAMILIES.test(instanceType)) {
    throw new Ec2Error(
      'InvalidParameterCombination',
      `AMD SEV-SNP is not supported with the instance type ${instanceType}.`,
    );
  }

  let rootVolumeGiB = image.rootVolumeGiB;
  for (const mapping of params.structs('BlockDeviceMapping')) {
    if (mapping.get('DeviceName') !== image.rootDeviceName) continue;
    const size = Number(mapping.get('Ebs.VolumeSize') ?? image.rootVolumeGiB);
    if (!Number.isInteger(size) || size < image.rootVolumeGiB) {
      throw new Ec2Error(
        'InvalidBlockDeviceMapping',
        `Volume of size ${size}GB is smaller than snapshot of ${image.imageId}, expect size >= ${image.rootVolumeGiB}GB`,
      );
    }
    rootVolumeGiB = size;
  }

  const tags: Record<string, string> = {};
  for (const specification of params.structs('TagSpecification')) {
    if (specification.get('ResourceType') !== 'instance') continue;
    for (const tag of specification.structs('Tag')) {
      const key = tag.get('Key');
      if (key === undefined || key === '') throw invalid('Tag keys must not be empty.');
      if (key.startsWith('aws:'))
        throw invalid(`Tag keys starting with 'aws:' are reserved for internal use.`);
      tags[key] = tag.get('Value') ?? '';
    }
  }
  if (Object.keys(tags).length > 50)
    throw new Ec2Error('TagLimitExceeded', 'The maximum number of tags (50) was exceeded.');

  return {
    count: maxCount,
    spec: {
      imageId,
      instanceType,
      subnetId,
      securityGroupIds: groups,
      keyName,
      userData: userData.toString('utf8'),
      tags,
      amdSevSnp,
      rootDeviceName: image.rootDeviceName,
      rootVolumeGiB,
      associatePublicIp: primary?.get('AssociatePublicIpAddress') === 'true',
      launchTemplateName: templateName,
    },
  };
}

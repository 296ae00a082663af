import type { OptionValues } from '@peerpods/config';
import { OWNER_TAG_CLUSTER, OWNER_TAG_NODE, OWNER_TAG_SANDBOX } from '@peerpods/providers';

export const DEFAULT_VPC_ENDPOINT = 'https://us-south.iaas.cloud.ibm.com/v1';

export interface IbmCloudSettings {
  apiKey: string;
  iamProfileId: string;
  crTokenFilename: string;
  iamEndpoint: string;
  vpcEndpoint: string;
  resourceGroupId: string;
  profileName: string;
  profileList: string[];
  zone: string;
  primarySubnetId: string;
  secondarySubnetId: string;
  secondarySecurityGroupId: string;
  keyId: string;
  vpcId: string;
  clusterId: string;
  disableCvm: boolean;
  imageIds: string[];
  tags: string[];
  securityGroupIds: string[];
  dedicatedHostIds: string[];
  dedicatedHostGroupIds: string[];
  taggingEndpoint: string;
  containersEndpoint: string;
}

const text = (values: OptionValues, flag: string) => String(values[flag] ?? '').trim();
const list = (values: OptionValues, flag: string) =>
  (Array.isArray(values[flag]) ? (values[flag] as string[]) : []).map((item) => item.trim()).filter(Boolean);

function url(values: OptionValues, flag: string): string {
  const value = text(values, flag).replace(/\/+$/, '');
  if (value !== '' && !/^https?:\/\/[^/\s]+(\/\S*)?$/.test(value)) {
    throw new Error(`invalid -${flag} ${JSON.stringify(value)}: expected an http(s) URL`);
  }
  return value;
}

// IBM Cloud user tags: up to 128 characters of letters, digits, space, _ - . and :, as
// Global Tagging accepts them. The ownership tags are ours to set.
const TAG = /^[A-Za-z0-9 _\-.:]{1,128}$/;
const RESERVED_TAG_KEYS = new Set([OWNER_TAG_SANDBOX, OWNER_TAG_NODE, OWNER_TAG_CLUSTER, 'coco-pod-vm']);

function userTags(tags: string[]): string[] {
  for (const tag of tags) {
    if (!TAG.test(tag)) {
      throw new Error(
        `invalid -tags entry ${JSON.stringify(tag)}: IBM Cloud tags are 1 to 128 letters, digits, spaces, _ - . or :`,
      );
    }
    const key = tag.split(':')[0]!.trim().toLowerCase();
    if (RESERVED_TAG_KEYS.has(key)) throw new Error(`-tags may not set ${key}: the provider sets it`);
  }
  return tags;
}

/**
 * Reads the options; a missing or bad value is an error naming its flag (never a secret's value).
 * A sweep needs only the credentials, the endpoints and the VPC.
 */
export function ibmCloudSettings(values: OptionValues, { forSweep = false } = {}): IbmCloudSettings {
  const settings: IbmCloudSettings = {
    apiKey: text(values, 'api-key'),
    iamProfileId: text(values, 'iam-profile-id'),
    crTokenFilename: text(values, 'cr-token-filename'),
    iamEndpoint: url(values, 'iam-service-url'),
    vpcEndpoint: url(values, 'vpc-service-url') || DEFAULT_VPC_ENDPOINT,
    resourceGroupId: text(values, 'resource-group-id'),
    profileName: text(values, 'profile-name'),
    profileList: list(values, 'profile-list'),
    zone: text(values, 'zone-name'),
    primarySubnetId: text(values, 'primary-subnet-id'),
    secondarySubnetId: text(values, 'secondary-subnet-id'),
    secondarySecurityGroupId: text(values, 'secondary-security-group-id'),
    keyId: text(values, 'key-id'),
    vpcId: text(values, 'vpc-id'),
    clusterId: text(values, 'cluster-id'),
    disableCvm: values['disable-cvm'] !== false,
    imageIds: list(values, 'image-id'),
    tags: userTags(list(values, 'tags')),
    securityGroupIds: list(values, 'security-group-ids'),
    dedicatedHostIds: list(values, 'dedicated-host-ids'),
    dedicatedHostGroupIds: list(values, 'dedicated-host-group-ids'),
    taggingEndpoint: url(values, 'ibmcloud-tagging-endpoint'),
    containersEndpoint: url(values, 'ibmcloud-containers-endpoint'),
  };
  // Upstream's own message for neither.
  if (settings.apiKey === '' && settings.iamProfileId === '') {
    throw new Error('either an IAM API Key or Profile ID needs to be set');
  }
  const required: [keyof IbmCloudSettings, string, string][] = forSweep
    ? [['primarySubnetId', 'primary-subnet-id', 'IBMCLOUD_VPC_SUBNET_ID']]
    : [
        ['primarySubnetId', 'primary-subnet-id', 'IBMCLOUD_VPC_SUBNET_ID'],
        ['profileName', 'profile-name', 'IBMCLOUD_PODVM_INSTANCE_PROFILE_NAME'],
        // Upstream reads it from the kube-system/cluster-info ConfigMap when empty; that comes
        // with the Kubernetes integration.
        ['clusterId', 'cluster-id', 'IBMCLOUD_CLUSTER_ID'],
      ];
  for (const [key, flag, env] of required) {
    if (settings[key] === '') throw new Error(`-${flag} (${env}) is required`);
  }
  if (!forSweep && settings.zone === '') {
    throw new Error('zone was not provided and could not detect automatically');
  }
  if (!forSweep && settings.imageIds.length === 0) throw new Error('image-id is empty');
  if (settings.secondarySecurityGroupId !== '' && settings.secondarySubnetId === '') {
    throw new Error('-secondary-security-group-id needs -secondary-subnet-id');
  }
  return settings;
}

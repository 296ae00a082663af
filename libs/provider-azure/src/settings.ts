import type { OptionValues } from '@peerpods/config';
import { parseTags } from '@peerpods/providers';

export interface AzureSettings {
  clientId: string;
  clientSecret: string;
  tenantId: string;
  subscriptionId: string;
  region: string;
  resourceGroup: string;
  instanceSize: string;
  instanceSizes: string[];
  subnetId: string;
  securityGroupId: string;
  imageId: string;
  sshKeyPath: string;
  sshUsername: string;
  disableCvm: boolean;
  enableSecureBoot: boolean;
  usePublicIp: boolean;
  rootVolumeGiB: number;
  tags: Record<string, string>;
  armEndpoint: string;
  authorityHost: string;
}

const text = (values: OptionValues, flag: string) => String(values[flag] ?? '').trim();
const list = (values: OptionValues, flag: string) =>
  (Array.isArray(values[flag]) ? (values[flag] as string[]) : []).map((item) => item.trim()).filter(Boolean);

function url(values: OptionValues, flag: string): string {
  const value = text(values, flag).replace(/\/+$/, '');
  if (value !== '' && !/^https:\/\/[^/\s]+$/.test(value)) {
    throw new Error(
      `invalid -${flag} ${JSON.stringify(value)}: expected https://host[:port] (the Azure SDK sends tokens over TLS only)`,
    );
  }
  return value;
}

/** Reads the options; a bad or missing value is an error naming its flag (never a secret's value). */
export function azureSettings(values: OptionValues, { forSweep = false } = {}): AzureSettings {
  const settings: AzureSettings = {
    clientId: text(values, 'clientid'),
    clientSecret: text(values, 'secret'),
    tenantId: text(values, 'tenantid'),
    subscriptionId: text(values, 'subscriptionid'),
    region: text(values, 'region'),
    resourceGroup: text(values, 'resourcegroup'),
    instanceSize: text(values, 'instance-size'),
    instanceSizes: list(values, 'instance-sizes'),
    subnetId: text(values, 'subnetid'),
    securityGroupId: text(values, 'securitygroupid'),
    imageId: text(values, 'imageid'),
    sshKeyPath: text(values, 'ssh-key-path'),
    sshUsername: text(values, 'ssh-username'),
    disableCvm: values['disable-cvm'] === true,
    enableSecureBoot: values['enable-secure-boot'] === true,
    usePublicIp: values['use-public-ip'] === true,
    rootVolumeGiB: Number(values['root-volume-size']),
    tags: parseTags(text(values, 'tags')),
    armEndpoint: url(values, 'azure-arm-endpoint'),
    authorityHost: url(values, 'azure-authority-host'),
  };
  const required: [keyof AzureSettings, string, string][] = [
    ['subscriptionId', 'subscriptionid', 'AZURE_SUBSCRIPTION_ID'],
    ['resourceGroup', 'resourcegroup', 'AZURE_RESOURCE_GROUP'],
    ...(forSweep
      ? []
      : ([
          ['region', 'region', 'AZURE_REGION'],
          ['subnetId', 'subnetid', 'AZURE_SUBNET_ID'],
          ['imageId', 'imageid', 'AZURE_IMAGE_ID'],
        ] as [keyof AzureSettings, string, string][])),
  ];
  for (const [key, flag, env] of required) {
    if (settings[key] === '') throw new Error(`-${flag} (${env}) is required`);
  }
  if (
    !Number.isInteger(settings.rootVolumeGiB) ||
    settings.rootVolumeGiB < 0 ||
    settings.rootVolumeGiB > 4095
  ) {
    throw new Error(
      `invalid -root-volume-size ${values['root-volume-size']}: GiB from 0 (the image size) to 4095`,
    );
  }
  if (!/^[a-z_][a-z0-9_-]{0,63}$/.test(settings.sshUsername)) {
    throw new Error(`invalid -ssh-username ${JSON.stringify(settings.sshUsername)}: a Linux user name`);
  }
  return settings;
}

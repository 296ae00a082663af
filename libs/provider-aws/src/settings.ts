import type { OptionValues } from '@peerpods/config';
import { parseTags } from '@peerpods/providers';

/** The aws provider's configuration, typed and checked. */
export interface AwsSettings {
  credentials:
    | { kind: 'static'; accessKeyId: string; secretAccessKey: string; sessionToken?: string }
    | { kind: 'profile'; profile: string }
    | { kind: 'default-chain' };
  region: string;
  endpoint: string;
  instanceType: string;
  instanceTypes: string[];
  imageId: string;
  useLaunchTemplate: boolean;
  launchTemplateName: string;
  keyName: string;
  subnetId: string;
  securityGroupIds: string[];
  usePublicIp: boolean;
  rootVolumeGiB: number;
  disableCvm: boolean;
  tags: Record<string, string>;
}

const text = (values: OptionValues, flag: string) => String(values[flag] ?? '').trim();
const list = (values: OptionValues, flag: string) =>
  (Array.isArray(values[flag]) ? (values[flag] as string[]) : []).map((item) => item.trim()).filter(Boolean);

/** Reads the options; a bad value is an error naming its flag. Never puts a secret in a message. */
export function awsSettings(values: OptionValues): AwsSettings {
  const accessKeyId = text(values, 'aws-access-key-id');
  const secretAccessKey = text(values, 'aws-secret-key');
  const sessionToken = text(values, 'aws-session-token');
  const profile = text(values, 'aws-profile');
  if ((accessKeyId === '') !== (secretAccessKey === '')) {
    throw new Error(
      `-aws-access-key-id and -aws-secret-key (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) go together: only ${accessKeyId ? '-aws-access-key-id' : '-aws-secret-key'} is set`,
    );
  }
  const credentials: AwsSettings['credentials'] =
    accessKeyId !== ''
      ? { kind: 'static', accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) }
      : profile !== ''
        ? { kind: 'profile', profile }
        : { kind: 'default-chain' };
  const endpoint = text(values, 'aws-endpoint');
  if (endpoint !== '' && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new Error(`invalid -aws-endpoint ${JSON.stringify(endpoint)}: expected an http(s) URL`);
  }
  const rootVolumeGiB = Number(values['root-volume-size']);
  if (!Number.isInteger(rootVolumeGiB) || rootVolumeGiB < 0 || rootVolumeGiB > 65536) {
    throw new Error(`invalid -root-volume-size ${values['root-volume-size']}: GiB from 0 to 65536`);
  }
  const region = text(values, 'aws-region');
  if (region !== '' && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) {
    throw new Error(
      `invalid -aws-region ${JSON.stringify(region)}: expected a region name such as us-east-1`,
    );
  }
  return {
    credentials,
    region,
    endpoint,
    instanceType: text(values, 'instance-type'),
    instanceTypes: list(values, 'instance-types'),
    imageId: text(values, 'imageid'),
    useLaunchTemplate: values['use-lt'] === true,
    launchTemplateName: text(values, 'aws-lt-name'),
    keyName: text(values, 'keyname'),
    subnetId: text(values, 'subnetid'),
    securityGroupIds: list(values, 'securitygroupids'),
    usePublicIp: values['use-public-ip'] === true,
    rootVolumeGiB,
    disableCvm: values['disable-cvm'] === true,
    tags: parseTags(text(values, 'tags')),
  };
}

/** What only creating instances needs (a sweep does without): an image unless a launch template. */
export function checkCreateSettings(settings: AwsSettings): void {
  if (!settings.useLaunchTemplate && settings.imageId === '') {
    throw new Error('-imageid (PODVM_AMI_ID) is required unless -use-lt: the AMI the pod VMs boot');
  }
  if (settings.useLaunchTemplate && settings.launchTemplateName === '') {
    throw new Error('-aws-lt-name (PODVM_LAUNCHTEMPLATE_NAME) is empty but -use-lt is set');
  }
}

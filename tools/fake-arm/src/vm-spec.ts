import { ArmError } from './arm-error';
import type { ArmCatalog } from './catalog';

/** A VM create request, as far as the fake checks and keeps it. */
export interface VmSpec {
  name: string;
  location: string;
  tags: Record<string, string>;
  vmSize: string;
  imageId: string;
  osDisk: { name: string; deleteWithVm: boolean; sizeGb: number | undefined; encryption: string | undefined };
  nic: { name: string; deleteWithVm: boolean; subnetId: string; nsgId: string | undefined };
  publicIp: { name: string; deleteWithVm: boolean } | undefined;
  adminUsername: string;
  sshKeys: { path: string; keyData: string }[];
  passwordAuthDisabled: boolean;
  securityType: string | undefined;
  secureBoot: boolean;
  vTpm: boolean;
  /** Decoded `userData`. */
  userData: string;
  bootDiagnostics: boolean;
  raw: unknown;
}

// ARM's limit on userData: 64 KiB of base64.
const USER_DATA_MAX = 65536;

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const invalid = (message: string, target?: string) =>
  new ArmError(400, 'InvalidParameter', target ? `${message} Target: '${target}'.` : message);

/** Checks a `PUT .../virtualMachines/{name}` body the way ARM and the compute RP do, with their codes. */
export function vmSpec(name: string, body: unknown, catalog: ArmCatalog): VmSpec {
  const root = obj(body);
  const props = obj(root.properties);
  const location = str(root.location);
  if (!location)
    throw new ArmError(400, 'LocationRequired', 'The location property is required for this definition.');
  if (location.toLowerCase() !== catalog.region) {
    throw new ArmError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${location}' is not available for resource type 'Microsoft.Compute/virtualMachines'.`,
    );
  }
  const vmSize = str(obj(props.hardwareProfile).vmSize) ?? '';
  const size = catalog.sizes.find((candidate) => candidate.name === vmSize);
  if (!size) throw invalid(`The value '${vmSize}' provided for the VM size is not valid.`, 'vmSize');

  const storage = obj(props.storageProfile);
  const imageRef = obj(storage.imageReference);
  const imageId = str(imageRef.id) ?? str(imageRef.communityGalleryImageId) ?? '';
  if (!catalog.images.some((image) => image.toLowerCase() === imageId.toLowerCase())) {
    throw new ArmError(404, 'ImageNotFound', `The platform image '${imageId}' is not available.`);
  }
  const osDisk = obj(storage.osDisk);
  const security = obj(props.securityProfile);
  const securityType = str(security.securityType);
  const encryption = str(obj(obj(osDisk.managedDisk).securityProfile).securityEncryptionType);
  if (securityType === 'ConfidentialVM' && !size.confidential) {
    throw new ArmError(
      400,
      'BadRequest',
      `The VM size '${vmSize}' is not supported for creation of VMs with security type 'ConfidentialVM'.`,
    );
  }
  if (encryption && securityType !== 'ConfidentialVM') {
    throw invalid(
      "securityEncryptionType can only be set when securityType is 'ConfidentialVM'.",
      'securityEncryptionType',
    );
  }

  const os = obj(props.osProfile);
  const linux = obj(os.linuxConfiguration);
  const sshKeys = (
    Array.isArray(obj(linux.ssh).publicKeys) ? (obj(linux.ssh).publicKeys as unknown[]) : []
  ).map((key) => ({
    path: str(obj(key).path) ?? '',
    keyData: str(obj(key).keyData) ?? '',
  }));
  const adminUsername = str(os.adminUsername) ?? '';
  if (!adminUsername) throw invalid("Required parameter 'adminUsername' is missing (null).", 'adminUsername');
  for (const key of sshKeys) {
    if (!/^ssh-(rsa|ed25519) [A-Za-z0-9+/=]+/.test(key.keyData)) {
      throw new ArmError(
        400,
        'InvalidParameter',
        'The value of parameter linuxConfiguration.ssh.publicKeys.keyData is invalid.',
      );
    }
  }

  const network = obj(props.networkProfile);
  const configs = Array.isArray(network.networkInterfaceConfigurations)
    ? (network.networkInterfaceConfigurations as unknown[])
    : [];
  if (configs.length !== 1)
    throw invalid(
      'Exactly one network interface configuration is supported by this fake.',
      'networkInterfaceConfigurations',
    );
  const nicConfig = obj(configs[0]);
  const nicProps = obj(nicConfig.properties);
  const ipConfigs = Array.isArray(nicProps.ipConfigurations) ? (nicProps.ipConfigurations as unknown[]) : [];
  const ipProps = obj(obj(ipConfigs[0]).properties);
  const subnetId = str(obj(ipProps.subnet).id) ?? '';
  if (!catalog.subnets.some((subnet) => subnet.toLowerCase() === subnetId.toLowerCase())) {
    throw new ArmError(
      400,
      'InvalidResourceReference',
      `Resource ${subnetId} referenced by resource ${name}-net was not found.`,
    );
  }
  const nsgId = str(obj(nicProps.networkSecurityGroup).id);
  if (nsgId && !catalog.networkSecurityGroups.some((nsg) => nsg.toLowerCase() === nsgId.toLowerCase())) {
    throw new ArmError(
      400,
      'InvalidResourceReference',
      `Resource ${nsgId} referenced by resource ${name}-net was not found.`,
    );
  }
  const publicConfig = obj(ipProps.publicIPAddressConfiguration);

  const encoded = str(props.userData) ?? '';
  if (encoded.length > USER_DATA_MAX)
    throw invalid(`The size of userData must not exceed ${USER_DATA_MAX} bytes.`, 'userData');
  const diskSize = obj(osDisk).diskSizeGB;

  return {
    name,
    location,
    tags: Object.fromEntries(Object.entries(obj(root.tags)).map(([key, value]) => [key, String(value)])),
    vmSize,
    imageId,
    osDisk: {
      name: str(osDisk.name) ?? `${name}_OsDisk`,
      deleteWithVm: str(osDisk.deleteOption) === 'Delete',
      sizeGb: typeof diskSize === 'number' ? diskSize : undefined,
      encryption,
    },
    nic: {
      name: str(nicConfig.name) ?? `${name}-nic`,
      deleteWithVm: str(nicProps.deleteOption) === 'Delete',
      subnetId,
      nsgId,
    },
    publicIp: str(publicConfig.name)
      ? {
          name: str(publicConfig.name)!,
          deleteWithVm: str(obj(publicConfig.properties).deleteOption) === 'Delete',
        }
      : undefined,
    adminUsername,
    sshKeys,
    passwordAuthDisabled: linux.disablePasswordAuthentication === true,
    securityType,
    secureBoot: obj(security.uefiSettings).secureBootEnabled === true,
    vTpm: obj(security.uefiSettings).vTpmEnabled === true,
    userData: Buffer.from(encoded, 'base64').toString('utf8'),
    bootDiagnostics: obj(obj(props.diagnosticsProfile).bootDiagnostics).enabled === true,
    raw: body,
  };
}

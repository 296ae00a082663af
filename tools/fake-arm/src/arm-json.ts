import type { ArmResources, DependentResource, VmRecord } from './arm-resources';
import type { ArmCatalog, ArmSize } from './catalog';

/** A VM as ARM returns it (resource envelope, camelCase properties). */
export function vmJson(vm: VmRecord, resources: ArmResources): Record<string, unknown> {
  const { spec } = vm;
  const nicId = resources.resourceId('Microsoft.Network', 'networkInterfaces', spec.nic.name);
  return {
    id: vm.id,
    name: spec.name,
    type: 'Microsoft.Compute/virtualMachines',
    location: spec.location,
    tags: spec.tags,
    properties: {
      vmId: vm.vmId,
      provisioningState: vm.state,
      timeCreated: vm.createdAt.toISOString(),
      hardwareProfile: { vmSize: spec.vmSize },
      storageProfile: {
        imageReference: spec.imageId.startsWith('/CommunityGalleries/')
          ? { communityGalleryImageId: spec.imageId }
          : { id: spec.imageId },
        osDisk: {
          osType: 'Linux',
          name: spec.osDisk.name,
          createOption: 'FromImage',
          deleteOption: spec.osDisk.deleteWithVm ? 'Delete' : 'Detach',
          diskSizeGB: spec.osDisk.sizeGb ?? 30,
          managedDisk: { id: resources.resourceId('Microsoft.Compute', 'disks', spec.osDisk.name) },
        },
      },
      osProfile: {
        computerName: spec.name,
        adminUsername: spec.adminUsername,
        linuxConfiguration: {
          disablePasswordAuthentication: spec.passwordAuthDisabled,
          ssh: { publicKeys: spec.sshKeys },
        },
      },
      networkProfile: {
        networkInterfaces: [
          {
            id: nicId,
            properties: { primary: true, deleteOption: spec.nic.deleteWithVm ? 'Delete' : 'Detach' },
          },
        ],
      },
      ...(spec.securityType
        ? {
            securityProfile: {
              securityType: spec.securityType,
              uefiSettings: { secureBootEnabled: spec.secureBoot, vTpmEnabled: spec.vTpm },
            },
          }
        : {}),
      diagnosticsProfile: { bootDiagnostics: { enabled: spec.bootDiagnostics } },
    },
  };
}

export function dependentJson(
  dependent: DependentResource,
  catalog: ArmCatalog,
  resources: ArmResources,
): Record<string, unknown> {
  const envelope = { id: dependent.id, name: dependent.name, location: catalog.region };
  const vm = resources.vms.get(dependent.vmName.toLowerCase());
  if (dependent.kind === 'networkInterfaces') {
    const publicIp = [...resources.dependents.values()].find(
      (other) => other.kind === 'publicIPAddresses' && other.vmName === dependent.vmName,
    );
    return {
      ...envelope,
      type: 'Microsoft.Network/networkInterfaces',
      properties: {
        provisioningState: 'Succeeded',
        ipConfigurations: [
          {
            id: `${dependent.id}/ipConfigurations/ip-config`,
            name: 'ip-config',
            properties: {
              privateIPAddress: dependent.address,
              privateIPAllocationMethod: 'Dynamic',
              primary: true,
              subnet: { id: vm?.spec.nic.subnetId },
              ...(publicIp ? { publicIPAddress: { id: publicIp.id } } : {}),
            },
          },
        ],
        ...(vm ? { virtualMachine: { id: vm.id } } : {}),
      },
    };
  }
  if (dependent.kind === 'publicIPAddresses') {
    return {
      ...envelope,
      type: 'Microsoft.Network/publicIPAddresses',
      properties: {
        provisioningState: 'Succeeded',
        ipAddress: dependent.address,
        publicIPAllocationMethod: 'Static',
      },
    };
  }
  return {
    ...envelope,
    type: 'Microsoft.Compute/disks',
    properties: { provisioningState: 'Succeeded', diskState: vm ? 'Attached' : 'Unattached' },
  };
}

export function sizeJson(size: ArmSize): Record<string, unknown> {
  return {
    name: size.name,
    numberOfCores: size.numberOfCores,
    memoryInMB: size.memoryInMB,
    osDiskSizeInMB: 1047552,
    resourceDiskSizeInMB: 0,
    maxDataDiskCount: 4,
  };
}

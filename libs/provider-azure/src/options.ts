import type { OptionSpec } from '@peerpods/config';

/**
 * The azure provider's flags and environment variables: upstream's names and defaults
 * (docs/compatibility.md §1.2), plus the ARM endpoint and the Entra ID authority host.
 */
export const AZURE_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'clientid',
    env: 'AZURE_CLIENT_ID',
    type: 'string',
    default: '',
    secret: true,
    description: 'client (application) id of the service principal or workload identity',
  },
  {
    flag: 'secret',
    env: 'AZURE_CLIENT_SECRET',
    type: 'string',
    default: '',
    secret: true,
    description: 'client secret; empty: workload identity (the DefaultAzureCredential chain)',
  },
  {
    flag: 'tenantid',
    env: 'AZURE_TENANT_ID',
    type: 'string',
    default: '',
    secret: true,
    description: 'Entra ID tenant id',
  },
  {
    flag: 'subscriptionid',
    env: 'AZURE_SUBSCRIPTION_ID',
    type: 'string',
    default: '',
    description: 'subscription of the pod VMs (required)',
  },
  {
    flag: 'region',
    env: 'AZURE_REGION',
    type: 'string',
    default: '',
    description: 'region of the pod VMs (required)',
  },
  {
    flag: 'resourcegroup',
    env: 'AZURE_RESOURCE_GROUP',
    type: 'string',
    default: '',
    description: 'resource group of the pod VMs (required)',
  },
  {
    flag: 'instance-size',
    env: 'AZURE_INSTANCE_SIZE',
    type: 'string',
    default: 'Standard_DC2as_v5',
    description: 'default pod VM size',
  },
  {
    flag: 'instance-sizes',
    env: 'AZURE_INSTANCE_SIZES',
    type: 'list',
    default: [],
    description: 'sizes pods may ask for (comma separated); annotations pick among them',
  },
  {
    flag: 'zone',
    type: 'string',
    default: '',
    description: 'availability zone (accepted, and unused in VM create, as upstream)',
  },
  {
    flag: 'subnetid',
    env: 'AZURE_SUBNET_ID',
    type: 'string',
    default: '',
    description: 'subnet resource id of the pod VMs (required)',
  },
  {
    flag: 'securitygroupid',
    env: 'AZURE_NSG_ID',
    type: 'string',
    default: '',
    description: 'network security group resource id for the pod VM NICs',
  },
  {
    flag: 'imageid',
    env: 'AZURE_IMAGE_ID',
    type: 'string',
    default: '',
    description:
      'pod VM image: a resource id, or a community gallery image id (/CommunityGalleries/...) (required; the pod annotation overrides it)',
  },
  {
    flag: 'ssh-key-path',
    type: 'string',
    default: '',
    description: 'SSH public key file for the admin user (empty: a throwaway key per VM)',
  },
  {
    flag: 'ssh-username',
    env: 'SSH_USERNAME',
    type: 'string',
    default: 'peerpod',
    description: 'admin user of the pod VMs',
  },
  {
    flag: 'disable-cvm',
    env: 'DISABLECVM',
    type: 'bool',
    default: false,
    description: 'create ordinary VMs instead of confidential ones (ConfidentialVM, vTPM)',
  },
  {
    flag: 'enable-secure-boot',
    env: 'ENABLE_SECURE_BOOT',
    type: 'bool',
    default: false,
    description: 'UEFI secure boot on confidential VMs',
  },
  {
    flag: 'use-public-ip',
    env: 'USE_PUBLIC_IP',
    type: 'bool',
    default: false,
    description: 'give each pod VM a public IP and dial it; else its private IP',
  },
  {
    flag: 'root-volume-size',
    env: 'ROOT_VOLUME_SIZE',
    type: 'int',
    default: 0,
    description: 'OS disk GiB (0: the image size)',
  },
  {
    flag: 'tags',
    env: 'TAGS',
    type: 'string',
    default: '',
    description: 'extra VM tags, key=value,key2=value2 (peer pods adds its ownership tags)',
  },
  {
    flag: 'azure-arm-endpoint',
    env: 'AZURE_ARM_ENDPOINT',
    type: 'string',
    default: '',
    description:
      'Resource Manager endpoint instead of https://management.azure.com (a sovereign cloud, or a test fake)',
  },
  {
    flag: 'azure-authority-host',
    env: 'AZURE_AUTHORITY_HOST',
    type: 'string',
    default: '',
    description:
      'Entra ID authority host instead of https://login.microsoftonline.com (instance discovery is then off)',
  },
];

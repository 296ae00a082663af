/**
 * provision-files' options beyond upstream's `-t`: each points a probe or an address somewhere else,
 * so tests (and odd images) can run it without a cloud. Precedence as everywhere here: default < env
 * var (set and non-empty) < flag. Defaults are upstream's real addresses and behaviour.
 */
import { LOG_OPTION_SPECS, type OptionSpec } from '@peerpods/config';
import { DEFAULT_ENDPOINTS, DEFAULT_RETRY_INTERVAL_MS } from '@peerpods/userdata/defaults';

export const PROVISION_OPTIONS: readonly OptionSpec[] = [
  ...LOG_OPTION_SPECS,
  {
    flag: 'root',
    env: 'PEERPODS_USERDATA_ROOT',
    type: 'string',
    default: '/',
    description:
      "directory that stands for the VM's /: /media/cidata/user-data, /run/peerpod/*, and the probes' /sys, /proc and /dev files are all read and written under it",
  },
  {
    flag: 'retry-interval',
    env: 'PEERPODS_USERDATA_RETRY_INTERVAL',
    type: 'duration',
    default: DEFAULT_RETRY_INTERVAL_MS,
    description: 'fixed delay between user-data fetch attempts (Go duration: 5s, 200ms)',
  },
  {
    flag: 'azure-imds-url',
    env: 'PEERPODS_USERDATA_AZURE_IMDS_URL',
    type: 'string',
    default: DEFAULT_ENDPOINTS.azure,
    description: 'Azure IMDS base URL (GET /metadata/instance/compute/userData, header Metadata: true)',
  },
  {
    flag: 'aws-imds-url',
    env: 'PEERPODS_USERDATA_AWS_IMDS_URL',
    type: 'string',
    default: DEFAULT_ENDPOINTS.aws,
    description: 'EC2 IMDS base URL (PUT /latest/api/token, then GET /latest/user-data)',
  },
  {
    flag: 'gcp-metadata-url',
    env: 'PEERPODS_USERDATA_GCP_METADATA_URL',
    type: 'string',
    default: DEFAULT_ENDPOINTS.gcp,
    description: 'GCP metadata server base URL (GET /computeMetadata/v1/..., header Metadata-Flavor: Google)',
  },
  {
    flag: 'alibaba-metadata-url',
    env: 'PEERPODS_USERDATA_ALIBABA_METADATA_URL',
    type: 'string',
    default: DEFAULT_ENDPOINTS.alibaba,
    description: 'Alibaba Cloud metadata base URL (GET /latest/user-data)',
  },
  {
    flag: 'ibmcloud-metadata-url',
    env: 'PEERPODS_USERDATA_IBMCLOUD_METADATA_URL',
    type: 'string',
    default: DEFAULT_ENDPOINTS.ibmcloud,
    description:
      'IBM Cloud VPC metadata base URL (PUT /instance_identity/v1/token, then GET /metadata/v1/instance/initialization)',
  },
  {
    flag: 'dmi-sys-vendor',
    env: 'PEERPODS_USERDATA_DMI_SYS_VENDOR',
    type: 'string',
    default: '',
    description:
      'use this DMI system manufacturer ("Amazon EC2", "Alibaba Cloud", or none) instead of reading /sys/class/dmi/id/sys_vendor',
  },
  {
    flag: 'hypervisor-vendor',
    env: 'PEERPODS_USERDATA_HYPERVISOR_VENDOR',
    type: 'string',
    default: '',
    description:
      'use this CPUID hypervisor vendor ("Microsoft Hv", "KVMKVMKVM"; or msvm, kvm, none) instead of probing /proc/cpuinfo, /dev/cpu/0/cpuid and /sys',
  },
];

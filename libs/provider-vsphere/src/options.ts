import type { OptionSpec } from '@peerpods/config';

/**
 * The vsphere provider's flags and environment variables: upstream's (removed upstream in 2026-01;
 * docs/compatibility.md §1.6), plus the CA file and a simulator-only guest address.
 */
export const VSPHERE_OPTIONS: readonly OptionSpec[] = [
  {
    flag: 'vcenter-url',
    env: 'GOVC_URL',
    type: 'string',
    default: '',
    description: 'URL of vCenter instance to connect to (required; https://host, /sdk is added)',
  },
  {
    flag: 'user-name',
    env: 'GOVC_USERNAME',
    type: 'string',
    default: '',
    secret: true,
    description: 'vCenter Username',
  },
  {
    flag: 'password',
    env: 'GOVC_PASSWORD',
    type: 'string',
    default: '',
    secret: true,
    description: 'vCenter Password',
  },
  {
    flag: 'thumbprint',
    env: 'GOVC_THUMBPRINT',
    type: 'string',
    default: '',
    secret: true,
    description: "SHA-1 thumbprint of vCenter's certificate (AA:BB:…): that certificate is trusted, no other",
  },
  {
    flag: 'vcenter-ca-file',
    env: 'GOVC_TLS_CA_CERTS',
    type: 'string',
    default: '',
    description:
      "CA certificates (PEM) vCenter's certificate must chain to; without it and a thumbprint: the system's CAs",
  },
  {
    flag: 'template',
    env: 'GOVC_TEMPLATE',
    type: 'string',
    default: 'podvm-template',
    description: 'vCenter template to deploy',
  },
  {
    flag: 'data-center',
    env: 'GOVC_DATACENTER',
    type: 'string',
    default: '',
    description: 'vCenter destination datacenter name (required)',
  },
  {
    flag: 'data-store',
    env: 'GOVC_DATASTORE',
    type: 'string',
    default: '',
    description: 'vCenter datastore',
  },
  {
    flag: 'deploy-folder',
    env: 'GOVC_FOLDER',
    type: 'string',
    default: '',
    description: 'VM folder relative to <data-center>/vm, made when missing (e.g. peerpods)',
  },
  {
    flag: 'cluster',
    env: 'GOVC_VCLUSTER',
    type: 'string',
    default: '',
    description: 'vCenter destination cluster name',
  },
  {
    flag: 'drs',
    env: 'GOVC_DRS',
    type: 'string',
    default: 'false',
    description: 'Use DRS for clone placement in destination Vcenter cluster',
  },
  {
    flag: 'host',
    env: 'GOVC_HOST',
    type: 'string',
    default: '',
    description: 'vCenter host name of resource pool destination',
  },
  {
    flag: 'simulator-guest-ip',
    type: 'string',
    default: '',
    description:
      "FOR THE SIMULATOR ONLY (govmomi's vcsim): the address each clone reports (SET.guest.ipAddress), as VMware Tools would",
  },
];

import { readFileSync } from 'node:fs';
import type { OptionValues } from '@peerpods/config';
import type { VcenterTrust } from './tls-pinning';
import { normalizeThumbprint } from './tls-pinning';

export interface VsphereSettings {
  url: URL;
  username: string;
  password: string;
  trust: VcenterTrust;
  template: string;
  datacenter: string;
  datastore: string;
  deployFolder: string;
  cluster: string;
  drs: boolean;
  host: string;
  simulatorGuestIp: string;
}

const text = (values: OptionValues, flag: string) => String(values[flag] ?? '').trim();

/** govc's reading of GOVC_URL: a scheme when none is given, `/sdk` when there is no path. */
export function vcenterUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(value) ? value : `https://${value}`);
  } catch {
    throw new Error(`invalid -vcenter-url ${JSON.stringify(value)}: expected https://host[:port][/sdk]`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`invalid -vcenter-url ${JSON.stringify(value)}: expected https://host[:port][/sdk]`);
  }
  // Credentials belong in -user-name and -password, never in a URL that gets logged.
  url.username = '';
  url.password = '';
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/sdk';
  return url;
}

/** Reads the options; a missing or bad value is an error naming its flag (never a secret's value). */
export function vsphereSettings(values: OptionValues, { forSweep = false } = {}): VsphereSettings {
  const urlText = text(values, 'vcenter-url');
  if (urlText === '') throw new Error('-vcenter-url (GOVC_URL) is required');
  const caFile = text(values, 'vcenter-ca-file');
  const thumbprint = text(values, 'thumbprint');
  let trust: VcenterTrust;
  if (thumbprint) trust = { thumbprint: normalizeThumbprint(thumbprint) };
  else if (caFile) {
    try {
      trust = { ca: readFileSync(caFile, 'utf8') };
    } catch (error) {
      throw new Error(`-vcenter-ca-file ${caFile}: ${(error as Error).message}`);
    }
  } else trust = { system: true };
  const settings: VsphereSettings = {
    url: vcenterUrl(urlText),
    username: text(values, 'user-name'),
    password: text(values, 'password'),
    trust,
    template: text(values, 'template'),
    datacenter: text(values, 'data-center'),
    datastore: text(values, 'data-store'),
    deployFolder: text(values, 'deploy-folder').replace(/^\/+|\/+$/g, ''),
    cluster: text(values, 'cluster'),
    drs: text(values, 'drs').toLowerCase() === 'true',
    host: text(values, 'host'),
    simulatorGuestIp: text(values, 'simulator-guest-ip'),
  };
  if (settings.username === '') throw new Error('-user-name (GOVC_USERNAME) is required');
  if (settings.datacenter === '') throw new Error('-data-center (GOVC_DATACENTER) is required');
  if (forSweep) return settings;
  if (settings.template === '') throw new Error('template is empty');
  // Upstream's checks and words.
  if (settings.drs) {
    if (settings.cluster === '') throw new Error('error: A cluster name is required with DRS');
  } else if (settings.host === '' || settings.datastore === '') {
    throw new Error('error: A host and datastore name are required');
  }
  return settings;
}

/**
 * Which source the user-data comes from (docs/compatibility.md §6.1), first match wins:
 * the file `/media/cidata/user-data` exists → File; CPUID hypervisor vendor "Microsoft Hv" → Azure;
 * DMI manufacturer "Amazon EC2" → AWS; hypervisor "KVMKVMKVM" and GCP's metadata server answers →
 * GCP; DMI manufacturer "Alibaba Cloud" → Alibaba; hypervisor "KVMKVMKVM" and IBM Cloud VPC's
 * metadata service hands out an instance identity token → IBMCloud (ours: upstream's IBM images
 * leave it to cloud-init); DMI manufacturer "VMware, Inc." → VMware guestinfo (ours, likewise); otherwise
 * none (PowerVS, s390x). Each probe runs only when the ones before did not match.
 */
import { lstat } from 'node:fs/promises';
import type { Logger } from '@peerpods/log';
import type { MetadataEndpoints } from './endpoints';
import { inRoot, USER_DATA_PATH } from './paths';
import {
  DMI_ALIBABA,
  DMI_AMAZON,
  DMI_VMWARE,
  HYPERVISOR_KVM,
  HYPERVISOR_MICROSOFT,
  normalizeHypervisorVendor,
  type ProbeOverrides,
  probeDmiSysVendor,
  probeHypervisorVendor,
} from './probes';
import type { UserDataSource } from './source';
import { alibabaSource } from './sources/alibaba';
import { awsSource } from './sources/aws';
import { azureSource } from './sources/azure';
import { fileSource } from './sources/file';
import { gcpMetadataAnswers, gcpSource } from './sources/gcp';
import { ibmCloudMetadataAnswers, ibmCloudSource } from './sources/ibmcloud';
import { vmwareSource } from './sources/vmware';

export interface DetectOptions {
  root: string;
  endpoints: MetadataEndpoints;
  probes: ProbeOverrides;
  maxBytes: number;
  log: Logger;
  /** The overall fetch deadline. */
  signal: AbortSignal;
  /** Bound on the GCP metadata probe (one request, no retry, as upstream). */
  gcpProbeTimeoutMs: number;
  awsTokenTimeoutMs?: number;
}

async function hasUserDataFile(root: string): Promise<boolean> {
  // As upstream: anything but "does not exist" counts as present (and then fails to read, loudly).
  try {
    await lstat(inRoot(root, USER_DATA_PATH));
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

export async function detectSource(options: DetectOptions): Promise<UserDataSource | undefined> {
  const { root, endpoints, probes, maxBytes, log } = options;
  if (await hasUserDataFile(root)) return fileSource(root, maxBytes);

  const hypervisor =
    probes.hypervisorVendor === undefined
      ? await probeHypervisorVendor(root)
      : normalizeHypervisorVendor(probes.hypervisorVendor);
  let dmi: string | undefined;
  const dmiVendor = async () => {
    dmi ??= probes.dmiSysVendor === undefined ? await probeDmiSysVendor(root) : probes.dmiSysVendor.trim();
    return dmi;
  };
  const describe = async () =>
    `hypervisor vendor ${JSON.stringify(hypervisor)}, DMI system manufacturer ${JSON.stringify(await dmiVendor())}`;

  if (hypervisor === HYPERVISOR_MICROSOFT) return azureSource(endpoints.azure, maxBytes);
  if ((await dmiVendor()) === DMI_AMAZON) {
    return awsSource(endpoints.aws, maxBytes, log, options.awsTokenTimeoutMs);
  }
  if (hypervisor === HYPERVISOR_KVM) {
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.gcpProbeTimeoutMs)]);
    if (await gcpMetadataAnswers(endpoints.gcp, signal)) return gcpSource(endpoints.gcp, maxBytes);
  }
  if ((await dmiVendor()) === DMI_ALIBABA) return alibabaSource(endpoints.alibaba, maxBytes);
  if ((await dmiVendor()) === DMI_VMWARE) return vmwareSource(root, maxBytes);
  // IBM Cloud VPC's instances are KVM guests too, and no DMI string is known to mark them: a network
  // probe, last and bounded like GCP's.
  if (hypervisor === HYPERVISOR_KVM) {
    const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.gcpProbeTimeoutMs)]);
    if (await ibmCloudMetadataAnswers(endpoints.ibmcloud, signal)) {
      return ibmCloudSource(endpoints.ibmcloud, maxBytes);
    }
  }
  log.info(`no user-data provider matched (${await describe()})`);
  return undefined;
}

/**
 * `process-user-data provision-files` (docs/compatibility.md §6): find the user-data source, fetch and
 * parse it, keep the allow-listed files, add what initdata derives (the default initdata when there
 * is none), then write all of it in one FileBatch: either every file lands or none does.
 */
import { DEFAULT_INITDATA } from '@peerpods/initdata';
import { type Logger, silentLogger } from '@peerpods/log';
import { MAX_USER_DATA_BYTES, readFileUpTo } from './bounded-read';
import type { CloudConfig } from './cloud-config';
import { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_RETRY_INTERVAL_MS } from './defaults';
import { detectSource } from './detect';
import { DEFAULT_ENDPOINTS, type MetadataEndpoints } from './endpoints';
import { errorMessage, UserDataError } from './errors';
import { FileBatch } from './file-batch';
import { initdataFiles, type PlannedFile } from './initdata-files';
import { INITDATA_PATH, inRoot, SECRET_MODE, WRITE_FILES_ALLOWED } from './paths';
import type { ProbeOverrides } from './probes';
import { retrieveCloudConfig } from './retrieve';

export { DEFAULT_FETCH_TIMEOUT_MS, DEFAULT_RETRY_INTERVAL_MS };
export const GCP_PROBE_TIMEOUT_MS = 5_000;

export interface ProvisionOptions {
  /** Stands for the VM's `/`: every file read or written, probes included, is under it. Default `/`. */
  root?: string;
  /** Overall user-data fetch timeout (detection included). Default 180 s. */
  fetchTimeoutMs?: number;
  /** Fixed delay between attempts. Default 5 s. */
  retryIntervalMs?: number;
  /** Metadata service base URLs; defaults are the clouds' own. */
  endpoints?: Partial<MetadataEndpoints>;
  /** Replace the DMI / CPUID probe results. */
  probes?: ProbeOverrides;
  /** Largest user-data accepted (decoded). Default 1 MiB. */
  maxUserDataBytes?: number;
  /** AWS IMDSv2 token request timeout before falling back to IMDSv1. Default 5 s. */
  awsTokenTimeoutMs?: number;
  /** GCP detection probe timeout. Default 5 s. */
  gcpProbeTimeoutMs?: number;
  log?: Logger;
}

export type InitdataOrigin = 'user-data' | 'file' | 'default';

export interface ProvisionResult {
  /** The user-data source used; undefined when no provider matched. */
  source?: { name: string; location: string };
  /** Filesystem paths written, in order. */
  written: string[];
  /** `write_files` paths that are not allowed and were skipped. */
  skipped: string[];
  initdata: { origin: InitdataOrigin; algorithm: string; digest: string };
}

async function existingInitdata(path: string): Promise<string | undefined> {
  let bytes: Buffer | undefined;
  try {
    bytes = await readFileUpTo(path, MAX_USER_DATA_BYTES);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserDataError(
      `failed to extract initdata hash: error read initdata file: ${errorMessage(error)}`,
    );
  }
  if (bytes === undefined) {
    throw new UserDataError(
      `failed to extract initdata hash: ${path} is larger than ${MAX_USER_DATA_BYTES} bytes`,
    );
  }
  return bytes.toString('utf8');
}

export async function provisionFiles(options: ProvisionOptions = {}): Promise<ProvisionResult> {
  const root = options.root ?? '/';
  const log = options.log ?? silentLogger;
  const timeoutMs = options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const maxBytes = options.maxUserDataBytes ?? MAX_USER_DATA_BYTES;
  const endpoints = { ...DEFAULT_ENDPOINTS, ...options.endpoints };
  const deadline = AbortSignal.timeout(timeoutMs);

  // 1. Source and user-data. Some providers provision the files with cloud-init instead: then only
  //    initdata is processed.
  const source = await detectSource({
    root,
    endpoints,
    probes: options.probes ?? {},
    maxBytes,
    log,
    signal: deadline,
    gcpProbeTimeoutMs: options.gcpProbeTimeoutMs ?? GCP_PROBE_TIMEOUT_MS,
    awsTokenTimeoutMs: options.awsTokenTimeoutMs,
  });
  let cloudConfig: CloudConfig = { writeFiles: [] };
  if (source) {
    try {
      cloudConfig = await retrieveCloudConfig(source, {
        signal: deadline,
        timeoutMs,
        retryIntervalMs: options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS,
        log,
      });
    } catch (error) {
      throw new UserDataError(`failed to retrieve cloud config: ${errorMessage(error)}`, { cause: error });
    }
  } else {
    log.info('unsupported user data provider, we extract and calculate initdata hash only.');
  }

  // 2. The allow-listed files, last one winning for a path given twice.
  const planned: PlannedFile[] = [];
  const skipped: string[] = [];
  let initdata: { text: string; origin: InitdataOrigin } | undefined;
  for (const { path, content } of cloudConfig.writeFiles) {
    const mode = WRITE_FILES_ALLOWED.get(path);
    if (mode === undefined) {
      log.info(`File: ${path} is not allowed in WriteFiles.`);
      skipped.push(path);
      continue;
    }
    planned.push({ path, content, mode });
    if (path === INITDATA_PATH) initdata = { text: content, origin: 'user-data' };
  }

  // 3. Initdata: from user-data, else the file already there (cloud-init's), else the default.
  if (!initdata) {
    const onDisk = await existingInitdata(inRoot(root, INITDATA_PATH));
    if (onDisk !== undefined) initdata = { text: onDisk, origin: 'file' };
    else {
      log.info(`File ${inRoot(root, INITDATA_PATH)} not found, using the default initdata.`);
      initdata = { text: DEFAULT_INITDATA, origin: 'default' };
      planned.push({ path: INITDATA_PATH, content: DEFAULT_INITDATA, mode: SECRET_MODE });
    }
  }
  let derived: ReturnType<typeof initdataFiles>;
  try {
    derived = initdataFiles(initdata.text, log);
  } catch (error) {
    const from = initdata.origin === 'file' ? inRoot(root, INITDATA_PATH) : `from ${initdata.origin}`;
    throw new UserDataError(
      `failed to extract initdata hash: error parse initdata (${from}): ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
  planned.push(...derived.files);

  // 4. Everything or nothing.
  const batch = new FileBatch();
  let written: string[];
  try {
    for (const file of planned) await batch.stage(inRoot(root, file.path), file.content, file.mode);
    written = await batch.commit();
  } catch (error) {
    await batch.abort();
    throw new UserDataError(`failed to write files: ${errorMessage(error)}`, { cause: error });
  }
  for (const path of written) log.info(`Wrote ${path}`);
  return {
    source: source && { name: source.name, location: source.location },
    written,
    skipped,
    initdata: { origin: initdata.origin, algorithm: derived.algorithm, digest: derived.digest },
  };
}

import { type FSWatcher, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** controller-runtime's default: where cert-manager's secret is mounted by upstream's chart. */
export const DEFAULT_CERT_DIR = '/tmp/k8s-webhook-server/serving-certs';

export interface ServingCert {
  cert: Buffer;
  key: Buffer;
}

/** `tls.crt` and `tls.key` from `dir`; the error names the file. */
export async function readServingCert(dir: string): Promise<ServingCert> {
  const read = async (name: string) => {
    const path = join(dir, name);
    try {
      return await readFile(path);
    } catch (error) {
      throw new Error(
        `reading the serving certificate ${path}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  };
  const [cert, key] = await Promise.all([read('tls.crt'), read('tls.key')]);
  return { cert, key };
}

/**
 * Calls `onChange` with the new pair whenever the directory changes (cert-manager renews the
 * secret; kubelet swaps the volume's `..data` link). Changes are coalesced for `settleMs`; a pair
 * that cannot be read or used is reported to `onError` and the old one stays in service.
 */
export function watchServingCert(
  dir: string,
  onChange: (cert: ServingCert) => void,
  onError: (error: Error) => void,
  settleMs = 200,
): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    readServingCert(dir).then((cert) => {
      try {
        onChange(cert);
      } catch (error) {
        onError(error as Error);
      }
    }, onError);
  };
  const watcher: FSWatcher = watch(dir, () => {
    clearTimeout(timer);
    timer = setTimeout(reload, settleMs);
  });
  watcher.on('error', onError);
  return {
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

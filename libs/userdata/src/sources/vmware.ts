import { execFile } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { PermanentUserDataError, UserDataError } from '../errors';
import { inRoot } from '../paths';
import { type UserDataSource, userDataTooLarge } from '../source';

/** open-vm-tools' RPC client: how a guest reads its VM's guestinfo.* keys. */
export const VMWARE_RPCTOOL_PATH = '/usr/bin/vmware-rpctool';

function rpc(
  tool: string,
  command: string,
  signal: AbortSignal,
  maxBytes: number,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile(
      tool,
      [command],
      { signal, maxBuffer: maxBytes * 2 + 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout.replace(/\n$/, ''));
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(
            new PermanentUserDataError(`${tool} is not installed (open-vm-tools): no way to read guestinfo`),
          );
        }
        // An unset key: the tool says so on stderr and exits 1.
        if (/No value found/i.test(stderr)) return resolve(undefined);
        reject(new UserDataError(`${tool} '${command}': ${stderr.trim() || error.message}`));
      },
    );
  });
}

/**
 * vSphere's guestinfo, read with vmware-rpctool as cloud-init's VMware datasource does on upstream's
 * vSphere images: `guestinfo.userdata`, decoded by `guestinfo.userdata.encoding` (`base64`/`b64`,
 * `gzip+base64`/`gz+b64`, else as is). The provider sets both keys on the clone.
 */
export function vmwareSource(root: string, maxBytes: number): UserDataSource {
  const tool = inRoot(root, VMWARE_RPCTOOL_PATH);
  return {
    name: 'VMware',
    location: 'guestinfo.userdata',
    kind: 'command',
    async fetch(signal) {
      const text = await rpc(tool, 'info-get guestinfo.userdata', signal, maxBytes);
      if (text === undefined) throw new UserDataError('guestinfo.userdata is not set (yet)');
      const encoding = ((await rpc(tool, 'info-get guestinfo.userdata.encoding', signal, 1024)) ?? '')
        .trim()
        .toLowerCase();
      let bytes: Buffer;
      if (encoding === 'base64' || encoding === 'b64') bytes = Buffer.from(text, 'base64');
      else if (encoding === 'gzip+base64' || encoding === 'gz+b64') {
        try {
          bytes = gunzipSync(Buffer.from(text, 'base64'), { maxOutputLength: maxBytes + 1 });
        } catch (error) {
          throw new PermanentUserDataError(
            `guestinfo.userdata is not gzip+base64: ${(error as Error).message}`,
          );
        }
      } else bytes = Buffer.from(text, 'utf8');
      if (bytes.length > maxBytes) throw userDataTooLarge('guestinfo.userdata', maxBytes);
      return bytes;
    },
  };
}

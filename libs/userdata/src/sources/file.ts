import { readFileUpTo } from '../bounded-read';
import { errorMessage, UserDataError } from '../errors';
import { inRoot, USER_DATA_PATH } from '../paths';
import { type UserDataSource, userDataTooLarge } from '../source';

/** `/media/cidata/user-data`: libvirt's cidata ISO, BYOM's SFTP upload. Read as is, no decoding. */
export function fileSource(root: string, maxBytes: number): UserDataSource {
  const path = inRoot(root, USER_DATA_PATH);
  return {
    name: 'File',
    location: path,
    kind: 'file',
    async fetch() {
      let bytes: Buffer | undefined;
      try {
        bytes = await readFileUpTo(path, maxBytes);
      } catch (error) {
        throw new UserDataError(`failed to read file: ${errorMessage(error)}`);
      }
      if (bytes === undefined) throw userDataTooLarge(path, maxBytes);
      return bytes;
    },
  };
}

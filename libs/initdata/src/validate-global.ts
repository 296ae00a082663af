import { decodeInitdata, type Initdata } from './decode';

/**
 * Checks the daemon's `-initdata` (env `INITDATA`) at start, so a bad value stops the daemon instead
 * of every pod VM. `''` means "none" and is accepted. The value itself goes into user-data unchanged.
 */
export function validateGlobalInitdata(value: string): Initdata | undefined {
  if (value === '') return undefined;
  try {
    return decodeInitdata(value);
  } catch (error) {
    throw new Error(`invalid -initdata (INITDATA): ${(error as Error).message}`, { cause: error });
  }
}

/** Any problem with an initdata value; the message says which layer is wrong and how. */
export class InitdataError extends Error {
  override readonly name = 'InitdataError';
}

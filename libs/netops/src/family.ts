/** Address family, as iproute2 names it in JSON (`"family": "inet"`). */
export type Family = 'inet' | 'inet6';

/** `-4` / `-6` for ip's command line. */
export function familyFlag(family: Family): string {
  return family === 'inet' ? '-4' : '-6';
}

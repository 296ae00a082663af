/**
 * The pod's image pull secrets as one `auth.json` for the pod VM (docs/compatibility.md, upstream's
 * §2.5): the service account's `imagePullSecrets`, then the pod's, each a
 * `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`: `{"auths": {...}}`) or a legacy
 * `kubernetes.io/dockercfg` (`.dockercfg`: the map itself). A registry entry keeps only `auth`: made
 * from username and password when it has none, and skipped when it has neither. A later secret's
 * entry for the same registry wins. Nothing of a secret is ever logged, only secret names.
 */

/** The few API reads this needs (a subset of KubeApi; secret data values base64, as the API has them). */
export interface PullSecretSource {
  getPod(
    namespace: string,
    name: string,
  ): Promise<{ serviceAccountName?: string; imagePullSecrets?: { name?: string }[] }>;
  getServiceAccount(namespace: string, name: string): Promise<{ imagePullSecrets?: { name?: string }[] }>;
  /** Rejects for a missing or forbidden secret; such secrets are skipped. */
  getSecret(namespace: string, name: string): Promise<{ type?: string; data?: Record<string, string> }>;
}

/** Upstream's limit: user-data has to fit the clouds' limits. */
export const AUTH_JSON_LIMIT = 12 * 1024;

export interface PullAuthResult {
  /** The auth.json text, or undefined when there is nothing to write (or it is too big). */
  authJson?: string;
  /** What happened, one line each, with secret names only. */
  notes: string[];
}

type Entry = { auth?: unknown; username?: unknown; password?: unknown };

function registriesOf(secret: {
  type?: string;
  data?: Record<string, string>;
}): Record<string, Entry> | undefined {
  const data = secret.data ?? {};
  const decode = (key: string) => Buffer.from(data[key] ?? '', 'base64').toString('utf8');
  if (data['.dockerconfigjson'] !== undefined) {
    const parsed = JSON.parse(decode('.dockerconfigjson')) as { auths?: Record<string, Entry> };
    return parsed.auths ?? {};
  }
  if (data['.dockercfg'] !== undefined) return JSON.parse(decode('.dockercfg')) as Record<string, Entry>;
  return undefined;
}

export async function imagePullAuth(
  source: PullSecretSource,
  namespace: string,
  podName: string,
): Promise<PullAuthResult> {
  const notes: string[] = [];
  let pod: Awaited<ReturnType<PullSecretSource['getPod']>>;
  try {
    pod = await source.getPod(namespace, podName);
  } catch (error) {
    return { notes: [`reading pod ${namespace}/${podName}: ${(error as Error).message}`] };
  }
  const accountName = pod.serviceAccountName || 'default';
  let accountSecrets: { name?: string }[] = [];
  try {
    accountSecrets = (await source.getServiceAccount(namespace, accountName)).imagePullSecrets ?? [];
  } catch (error) {
    notes.push(`reading service account ${namespace}/${accountName}: ${(error as Error).message}`);
  }
  const auths: Record<string, { auth: string }> = {};
  for (const ref of [...accountSecrets, ...(pod.imagePullSecrets ?? [])]) {
    if (!ref.name) continue;
    let registries: Record<string, Entry> | undefined;
    try {
      registries = registriesOf(await source.getSecret(namespace, ref.name));
    } catch (error) {
      // Missing, forbidden or not JSON: skipped, as upstream does; the reason names no content.
      notes.push(
        `image pull secret ${namespace}/${ref.name} skipped: ${error instanceof SyntaxError ? 'not valid JSON' : (error as Error).message}`,
      );
      continue;
    }
    if (registries === undefined) {
      notes.push(
        `image pull secret ${namespace}/${ref.name} skipped: neither .dockerconfigjson nor .dockercfg`,
      );
      continue;
    }
    for (const [registry, entry] of Object.entries(registries)) {
      if (typeof entry !== 'object' || entry === null) continue;
      let auth = typeof entry.auth === 'string' ? entry.auth : '';
      if (
        auth === '' &&
        typeof entry.username === 'string' &&
        typeof entry.password === 'string' &&
        entry.username !== ''
      ) {
        auth = Buffer.from(`${entry.username}:${entry.password}`).toString('base64');
      }
      if (auth !== '') auths[registry] = { auth };
    }
  }
  if (Object.keys(auths).length === 0) return { notes };
  const authJson = JSON.stringify({ auths });
  if (Buffer.byteLength(authJson) > AUTH_JSON_LIMIT) {
    notes.push(
      `the image pull secrets of ${namespace}/${podName} make ${Buffer.byteLength(authJson)} bytes of auth.json, over the ${AUTH_JSON_LIMIT}-byte limit: not given to the pod VM`,
    );
    return { notes };
  }
  return { authJson, notes };
}

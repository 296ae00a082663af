import { request } from 'node:http';

/** Where EC2's instance metadata service is: the SDK's own variable, else the link-local address. */
export function metadataEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.AWS_EC2_METADATA_SERVICE_ENDPOINT || 'http://169.254.169.254').replace(/\/+$/, '');
}

const TIMEOUT_MS = 2000;

function call(url: URL, method: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: TIMEOUT_MS }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve(body)
          : reject(new Error(`${method} ${url.pathname}: HTTP ${response.statusCode}`)),
      );
    });
    req.on('timeout', () =>
      req.destroy(new Error(`${method} ${url.pathname}: no answer within ${TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The worker's own EC2 facts, for the options upstream fills from them when empty: region, SSH key
 * pair, subnet and security groups of its primary interface. IMDSv2 (a session token first), as
 * instances that require it answer nothing else.
 */
export class WorkerMetadata {
  #token: Promise<string> | undefined;

  constructor(private readonly endpoint = metadataEndpoint()) {}

  async get(path: string): Promise<string> {
    if (/^true$/i.test(process.env.AWS_EC2_METADATA_DISABLED ?? '')) {
      throw new Error('AWS_EC2_METADATA_DISABLED is set');
    }
    this.#token ??= call(new URL('/latest/api/token', this.endpoint), 'PUT', {
      'x-aws-ec2-metadata-token-ttl-seconds': '300',
    });
    const token = await this.#token;
    return (
      await call(new URL(`/latest/meta-data/${path}`, this.endpoint), 'GET', {
        'x-aws-ec2-metadata-token': token,
      })
    ).trim();
  }

  region(): Promise<string> {
    return this.get('placement/region');
  }

  /** The first key pair's name (`public-keys/` lists `0=name`). */
  async keyName(): Promise<string> {
    const first = (await this.get('public-keys/')).split('\n')[0] ?? '';
    return first.slice(first.indexOf('=') + 1);
  }

  async #interface(field: string): Promise<string> {
    const mac = await this.get('mac');
    return this.get(`network/interfaces/macs/${mac}/${field}`);
  }

  subnetId(): Promise<string> {
    return this.#interface('subnet-id');
  }

  async securityGroupIds(): Promise<string[]> {
    return (await this.#interface('security-group-ids'))
      .split('\n')
      .map((id) => id.trim())
      .filter(Boolean);
  }
}

/** Fills region, key name, subnet and security groups that were left empty from the worker's metadata. */
export async function fillFromWorker<
  T extends {
    region: string;
    keyName: string;
    subnetId: string;
    securityGroupIds: string[];
    useLaunchTemplate: boolean;
  },
>(settings: T, metadata: WorkerMetadata, log: (message: string) => void): Promise<T> {
  // A launch template brings its own network and key; only the region is still needed.
  const network = !settings.useLaunchTemplate;
  const filled = { ...settings };
  const from = async <V>(flag: string, env: string, read: () => Promise<V>): Promise<V> => {
    try {
      return await read();
    } catch (error) {
      throw new Error(
        `-${flag} (${env}) is empty and the worker's instance metadata did not give it (${(error as Error).message}); set it`,
      );
    }
  };
  if (!filled.region) filled.region = await from('aws-region', 'AWS_REGION', () => metadata.region());
  if (network && !filled.keyName) {
    // Upstream goes on without a key pair when the worker has none.
    filled.keyName = await metadata.keyName().catch(() => '');
  }
  if (network && !filled.subnetId) {
    filled.subnetId = await from('subnetid', 'AWS_SUBNET_ID', () => metadata.subnetId());
  }
  if (network && filled.securityGroupIds.length === 0) {
    filled.securityGroupIds = await from('securitygroupids', 'AWS_SG_IDS', () => metadata.securityGroupIds());
  }
  const learned = [
    settings.region ? '' : `region ${filled.region}`,
    settings.keyName || !filled.keyName ? '' : `key pair ${filled.keyName}`,
    settings.subnetId ? '' : `subnet ${filled.subnetId}`,
    settings.securityGroupIds.length > 0 ? '' : `security groups ${filled.securityGroupIds.join(',')}`,
  ].filter(Boolean);
  if (learned.length > 0) log(`from the worker's instance metadata: ${learned.join(', ')}`);
  return filled;
}

import { randomBytes } from 'node:crypto';

const LIFETIME_S = 3600;

export type TokenGrant =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; status: number; body: Record<string, unknown> };

/**
 * IAM's token endpoint as ibm-cloud-sdk-core's authenticators call it: `POST /identity/token`
 * (form) with an API key, or with a compute-resource token and a trusted profile. Tokens are
 * JWTs the SDK can decode (it reads `exp` and `iat`, and checks no signature); the fake remembers
 * them.
 */
export class IamTokens {
  readonly #valid = new Map<string, number>();
  issued = 0;
  forTrustedProfile = 0;

  constructor(
    private readonly apiKey: string,
    private readonly trustedProfileId: string,
    private readonly accountId: string,
  ) {}

  grant(form: URLSearchParams, refuseAll = false): TokenGrant {
    const grantType = form.get('grant_type');
    const refuse = (status: number, code: string, message: string): TokenGrant => ({
      ok: false,
      status,
      body: {
        errorCode: code,
        errorMessage: message,
        context: { requestId: randomBytes(8).toString('hex') },
      },
    });
    if (refuseAll) return refuse(503, 'BXNIM0109E', 'IAM is unavailable.');
    if (grantType === 'urn:ibm:params:oauth:grant-type:apikey') {
      if (form.get('apikey') !== this.apiKey)
        return refuse(400, 'BXNIM0415E', 'Provided API key could not be found.');
    } else if (grantType === 'urn:ibm:params:oauth:grant-type:cr-token') {
      if (!form.get('cr_token'))
        return refuse(400, 'BXNIM0109E', 'Property missing or empty. Property: cr_token');
      if (form.get('profile_id') !== this.trustedProfileId) {
        return refuse(400, 'BXNIM0538E', 'Trusted Profile not found.');
      }
      this.forTrustedProfile++;
    } else {
      return refuse(400, 'BXNIM0007E', `Unsupported grant_type ${grantType}`);
    }
    const iat = Math.floor(Date.now() / 1000);
    const claims = {
      iam_id: `iam-${this.trustedProfileId}`,
      account: { bss: this.accountId },
      iat,
      exp: iat + LIFETIME_S,
      iss: 'https://iam.cloud.ibm.com/identity',
      jti: randomBytes(8).toString('hex'),
    };
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const token = `${part({ alg: 'RS256', kid: 'fake' })}.${part(claims)}.${randomBytes(16).toString('base64url')}`;
    this.#valid.set(token, claims.exp * 1000);
    this.issued++;
    return {
      ok: true,
      body: {
        access_token: token,
        refresh_token: 'not-supported',
        token_type: 'Bearer',
        expires_in: LIFETIME_S,
        expiration: claims.exp,
        scope: 'ibm openid',
      },
    };
  }

  /** Whether an `Authorization` header carries a token this IAM issued and that has not expired. */
  authorized(header: string | undefined): boolean {
    const token = /^Bearer (\S+)$/.exec(header ?? '')?.[1];
    const expires = token ? this.#valid.get(token) : undefined;
    return expires !== undefined && expires > Date.now();
  }
}

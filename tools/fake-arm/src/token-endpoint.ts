import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/**
 * Microsoft Entra ID's endpoints as MSAL (inside @azure/identity) calls them for a confidential
 * client: the tenant's OpenID configuration, then `POST /{tenant}/oauth2/v2.0/token` with a client
 * secret or a client assertion (workload identity). Tokens are random strings the fake remembers.
 */
export class TokenEndpoint {
  readonly tokens = new Set<string>();
  issued = 0;
  /** Of those, issued for a client assertion (workload identity) rather than a secret. */
  forAssertions = 0;

  constructor(private readonly baseUrl: () => string) {}

  /** Handles the request when it is one of the token endpoints; false otherwise. */
  handle(method: string, path: string, body: string, response: ServerResponse): boolean {
    const discovery = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (method === 'GET' && discovery) {
      const tenant = discovery[1]!;
      const base = `${this.baseUrl()}/${tenant}`;
      json(response, 200, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: `${base}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${base}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${base}/oidc/userinfo`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat'],
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
      });
      return true;
    }
    if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
      const form = new URLSearchParams(body);
      const secret = form.get('client_secret');
      const assertion = form.get('client_assertion');
      if (
        form.get('grant_type') !== 'client_credentials' ||
        !form.get('client_id') ||
        (!secret && !assertion)
      ) {
        json(response, 400, {
          error: 'invalid_request',
          error_description:
            'AADSTS900144: The request body must contain the following parameter: client_secret or client_assertion.',
        });
        return true;
      }
      const token = randomBytes(24).toString('base64url');
      this.tokens.add(token);
      this.issued++;
      if (!secret) this.forAssertions++;
      json(response, 200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
      return true;
    }
    return false;
  }
}

function json(response: ServerResponse, status: number, value: unknown): void {
  response
    .writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
    .end(JSON.stringify(value));
}

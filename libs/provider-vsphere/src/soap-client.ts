import { request as httpRequest } from 'node:http';
import { type Agent, request as httpsRequest } from 'node:https';
import { type CloudApiObserver, observeApiCall } from '@peerpods/providers';
import { asNode, child, envelope, type MoRef, parseXml, textOf, type XmlValue, xsiType } from './soap-xml';

/** A SOAP fault from vCenter: its fault type (`InvalidLogin`, `NotAuthenticated`, …) and message. */
export class SoapFault extends Error {
  override readonly name = 'SoapFault';

  constructor(
    readonly faultType: string,
    message: string,
  ) {
    super(message || faultType);
  }
}

const SESSION_COOKIE = 'vmware_soap_session';
const CALL_TIMEOUT_MS = 60_000;

/**
 * vim25 over HTTP(S): one POST per call to `/sdk`, the session in the `vmware_soap_session` cookie,
 * faults as {@link SoapFault}. Knows nothing of sessions beyond carrying the cookie.
 */
export class SoapClient {
  #cookie: string | undefined;

  constructor(
    private readonly url: URL,
    private readonly agent: Agent | undefined,
    private readonly apiCalls?: CloudApiObserver,
  ) {}

  /** Forgets the session cookie (a new Login must not carry the old one: vCenter refuses that). */
  dropSession(): void {
    this.#cookie = undefined;
  }

  /** The `returnval` of `method` (undefined when the answer has none). */
  call(method: string, self: MoRef, body = '', signal?: AbortSignal): Promise<XmlValue | undefined> {
    return observeApiCall(this.apiCalls, method, () => this.#call(method, self, body, signal));
  }

  async #call(
    method: string,
    self: MoRef,
    body: string,
    signal?: AbortSignal,
  ): Promise<XmlValue | undefined> {
    const { status, text } = await this.#post(envelope(method, self, body), signal);
    let parsed: ReturnType<typeof parseXml>;
    try {
      parsed = parseXml(text);
    } catch (error) {
      throw new Error(`${method}: vCenter answered HTTP ${status} with a body that is not XML`, {
        cause: error,
      });
    }
    const soapBody = child(child(parsed, 'Envelope'), 'Body');
    const fault = child(soapBody, 'Fault');
    if (fault) {
      // The detail holds one element, `<XFault xsi:type="X">`: its xsi:type, else its name, says which.
      const [[element, first] = ['', undefined]] = Object.entries(asNode(child(fault, 'detail')));
      const type = xsiType(first) || element.replace(/Fault$/, '');
      throw new SoapFault(type, textOf(child(fault, 'faultstring')));
    }
    if (status !== 200 || soapBody === undefined) {
      throw new Error(`${method}: vCenter answered HTTP ${status}: ${text.slice(0, 200)}`);
    }
    return child(child(soapBody, `${method}Response`), 'returnval');
  }

  #post(body: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          signal: signal
            ? AbortSignal.any([signal, AbortSignal.timeout(CALL_TIMEOUT_MS)])
            : AbortSignal.timeout(CALL_TIMEOUT_MS),
          headers: {
            'content-type': 'text/xml; charset="utf-8"',
            soapaction: 'urn:vim25/6.5',
            ...(this.#cookie ? { cookie: `${SESSION_COOKIE}=${this.#cookie}` } : {}),
          },
        },
        (response) => {
          for (const header of response.headers['set-cookie'] ?? []) {
            const match = new RegExp(`^${SESSION_COOKIE}=([^;]*)`).exec(header);
            if (match) this.#cookie = match[1];
          }
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            text += chunk;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
          response.on('error', reject);
        },
      );
      req.once('error', reject);
      req.end(body);
    });
  }
}

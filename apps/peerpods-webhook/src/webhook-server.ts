import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { Logger } from '@peerpods/log';
import type { TlsProfile } from '@peerpods/tls';
import { type AdmissionReview, type ReviewOutcome, reviewPod } from './admission-review';
import type { MutationSettings } from './pod-mutation';
import { ReviewRequestError, readReviewBody } from './review-body';
import { readServingCert, watchServingCert } from './serving-certs';

export const MUTATE_PATH = '/mutate-v1-pod';

export interface WebhookServerOptions {
  /** Default 9443, as upstream (controller-runtime's webhook server). */
  port: number;
  host?: string;
  certDir: string;
  tls: TlsProfile;
  /** Read for every review, as upstream reads TARGET_RUNTIMECLASS and POD_VM_EXTENDED_RESOURCE. */
  settings: () => MutationSettings;
  log: Logger;
  /** Told of every review (metrics). */
  onReview?: (outcome: ReviewOutcome['outcome'], seconds: number) => void;
}

export interface RunningWebhook {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `/mutate-v1-pod` over HTTPS with the serving certificate from `certDir`, reloaded when it changes.
 * Every answer to a POST there is an AdmissionReview with HTTP 200, errors included, as
 * controller-runtime answers.
 */
export async function startWebhookServer(options: WebhookServerOptions): Promise<RunningWebhook> {
  const { log } = options;
  const mutatorLog = log.child('pod-mutator');
  const initial = await readServingCert(options.certDir);
  const tlsSettings = {
    minVersion: options.tls.minVersion,
    ...(options.tls.ciphers ? { ciphers: options.tls.ciphers } : {}),
  };
  const server: Server = createHttpsServer({ ...tlsSettings, ...initial }, (request, response) => {
    handle(request, response, options, mutatorLog).catch((error: unknown) => {
      log.error(`answering ${request.method} ${request.url}: ${(error as Error).message}`);
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  const watcher = watchServingCert(
    options.certDir,
    (cert) => {
      // Checked before use: a half-written pair (a key that does not match) throws here, and the
      // working one stays.
      createSecureContext({ ...tlsSettings, ...cert });
      server.setSecureContext({ ...tlsSettings, ...cert });
      log.info(`serving certificate reloaded from ${options.certDir}`);
    },
    (error) => log.warn(`serving certificate not reloaded: ${error.message}`),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(`webhook server: cannot listen on port ${options.port}: ${error.code ?? error.message}`),
      ),
    );
    server.listen({ port: options.port, host: options.host }, resolve);
  }).catch((error: unknown) => {
    watcher.close();
    throw error;
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        watcher.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  options: WebhookServerOptions,
  log: Logger,
): Promise<void> {
  const path = (request.url ?? '').split('?')[0];
  if (path !== MUTATE_PATH) {
    response
      .writeHead(404, { 'content-type': 'text/plain' })
      .end(`not found: the webhook is at ${MUTATE_PATH}\n`);
    return;
  }
  if (request.method !== 'POST') {
    response.writeHead(405, { allow: 'POST', 'content-type': 'text/plain' }).end('method not allowed\n');
    return;
  }
  const began = performance.now();
  let review: AdmissionReview;
  try {
    review = (await readReviewBody(request)) as AdmissionReview;
  } catch (error) {
    if (!(error instanceof ReviewRequestError)) throw error;
    send(response, {
      response: { uid: '', allowed: false, status: { metadata: {}, code: 400, message: error.message } },
    });
    options.onReview?.('rejected', (performance.now() - began) / 1000);
    return;
  }
  const { review: answer, outcome } = reviewPod(review, options.settings());
  if (outcome.outcome === 'mutated') {
    const { sums, annotations } = outcome.result;
    log.info(
      `mutating pod ${outcome.pod}: cpu request ${sums.cpuRequest} limit ${sums.cpuLimit}, memory request ${sums.memoryRequest} limit ${sums.memoryLimit}, gpu request ${sums.gpuRequest} (nano-units)`,
    );
    for (const [key, value] of Object.entries(annotations)) log.info(`pod ${outcome.pod}: ${key}=${value}`);
  } else if (outcome.outcome === 'rejected') {
    log.warn(`refused pod ${outcome.pod || '(unnamed)'}: ${outcome.message}`);
  }
  send(response, answer);
  options.onReview?.(outcome.outcome, (performance.now() - began) / 1000);
}

function send(response: ServerResponse, review: AdmissionReview): void {
  const body = JSON.stringify(review);
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

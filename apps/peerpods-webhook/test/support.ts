// The webhook in-process on loopback with a certificate for its Service name, and a client that
// posts AdmissionReviews as the API server does.
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { after } from 'node:test';
import { TextLogger } from '@peerpods/log';
import { tempDir } from '@peerpods/test-support';
import { CertificateAuthority, defaultTlsProfile, type TlsProfile } from '@peerpods/tls';
import type { AdmissionReview } from '../src/admission-review';
import type { PodObject } from '../src/pod-mutation';
import { startWebhookServer } from '../src/webhook-server';

export const SERVICE_NAME = 'peer-pods-webhook-webhook-service.confidential-containers-system.svc';

export interface TestWebhook {
  port: number;
  ca: CertificateAuthority;
  certDir: string;
  logs: string[];
  env: { TARGET_RUNTIMECLASS?: string; POD_VM_EXTENDED_RESOURCE?: string };
  /** POSTs `body` to `path` (default /mutate-v1-pod); the HTTP status and the parsed answer. */
  post(
    body: string | object,
    options?: { path?: string; contentType?: string },
  ): Promise<{ status: number; body: string }>;
  /** One AdmissionReview for `pod`; the answer's response. */
  review(pod: PodObject, uid?: string): Promise<AdmissionReview>;
}

export async function writeServingCert(
  ca: CertificateAuthority,
  dir: string,
  name = SERVICE_NAME,
): Promise<void> {
  const pair = await ca.issueServerCertificate(name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tls.crt'), pair.certPem);
  writeFileSync(join(dir, 'tls.key'), pair.keyPem, { mode: 0o600 });
}

export async function startTestWebhook(options: { tls?: TlsProfile } = {}): Promise<TestWebhook> {
  const ca = await CertificateAuthority.create();
  const certDir = join(tempDir(), 'serving-certs');
  await writeServingCert(ca, certDir);
  const logs: string[] = [];
  const env: TestWebhook['env'] = {};
  const server = await startWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certDir,
    tls: options.tls ?? defaultTlsProfile,
    settings: () => ({
      runtimeClass: env.TARGET_RUNTIMECLASS || 'kata-remote',
      extendedResource: env.POD_VM_EXTENDED_RESOURCE || 'kata.peerpods.io/vm',
    }),
    log: new TextLogger('webhook', { write: (line) => logs.push(line) }),
  });
  after(() => server.close());
  const post: TestWebhook['post'] = (body, postOptions = {}) =>
    postTo(server.port, ca.certPem, body, postOptions);
  return {
    port: server.port,
    ca,
    certDir,
    logs,
    env,
    post,
    review: async (pod, uid = '705ab4f5-6393-11e8-b7cc-42010a800002') => {
      const answer = await post(podReview(pod, uid));
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${answer.body}`);
      return JSON.parse(answer.body) as AdmissionReview;
    },
  };
}

export function postTo(
  port: number,
  ca: string,
  body: string | object,
  options: { path?: string; contentType?: string; method?: string } = {},
): Promise<{ status: number; body: string }> {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: options.path ?? '/mutate-v1-pod',
        method: options.method ?? 'POST',
        ca,
        servername: SERVICE_NAME,
        headers: {
          'content-type': options.contentType ?? 'application/json',
          'content-length': Buffer.byteLength(text),
        },
        agent: false,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** An AdmissionReview as the API server sends it for a pod CREATE. */
export function podReview(pod: PodObject, uid: string): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind: 'Pod' },
      operation: 'CREATE',
      namespace: pod.metadata?.namespace ?? 'default',
      name: pod.metadata?.name ?? '',
      object: pod,
    },
  };
}

type Resources = { requests?: Record<string, string>; limits?: Record<string, string> };

/** A pod as the API server has it at admission (defaulted fields included). */
export function pod(options: {
  name?: string;
  runtimeClassName?: string | null;
  containers?: Resources[];
  initContainers?: Resources[];
  annotations?: Record<string, string>;
}): PodObject {
  const container = (resources: Resources, index: number, prefix: string) => ({
    name: `${prefix}${index + 1}`,
    image: 'registry.k8s.io/pause:3.9',
    resources,
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
    imagePullPolicy: 'IfNotPresent',
  });
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: options.name ?? 'test-pod',
      namespace: 'default',
      creationTimestamp: null,
      ...(options.annotations ? { annotations: options.annotations } : {}),
    },
    spec: {
      ...(options.runtimeClassName === null
        ? {}
        : { runtimeClassName: options.runtimeClassName ?? 'kata-remote' }),
      containers: (options.containers ?? [{}]).map((resources, index) => container(resources, index, 'c')),
      ...(options.initContainers
        ? {
            initContainers: options.initContainers.map((resources, index) =>
              container(resources, index, 'init'),
            ),
          }
        : {}),
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      schedulerName: 'default-scheduler',
    },
    status: {},
  };
}

// The pods of upstream's webhook e2e suite (tests/e2e/webhook_tests.bats), as the API server sends
// them (defaulted, with the RuntimeClass overhead already set), against golden JSON patches.
// UPDATE_GOLDEN=1 rewrites the files; review the diff before committing it.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { PodObject } from '../src/pod-mutation';
import { startTestWebhook } from './support';

const GOLDEN = join(import.meta.dirname, 'golden');
const webhook = await startTestWebhook();

/** upstream's hack/pod.yaml: nginx, requests cpu 1 / memory 1Gi, limits cpu 1 / memory 2Gi. */
function e2ePod(runtimeClassName?: string): PodObject {
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: { name: 'nginx', namespace: 'default', labels: { run: 'nginx' } },
    spec: {
      ...(runtimeClassName ? { runtimeClassName } : {}),
      containers: [
        {
          name: 'nginx',
          image: 'bitnami/nginx',
          resources: { limits: { cpu: '1', memory: '2Gi' }, requests: { cpu: '1', memory: '1Gi' } },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'Always',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
      ...(runtimeClassName ? { overhead: { cpu: '250m', memory: '120Mi' } } : {}),
    },
    status: {},
  };
}

function checkGolden(name: string, patch: unknown): void {
  const path = join(GOLDEN, `${name}.patch.json`);
  const text = `${JSON.stringify(patch, null, 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(path, text);
  assert.equal(text, readFileSync(path, 'utf8'), `golden ${path} (UPDATE_GOLDEN=1 rewrites it)`);
}

const decodedPatch = (patch: string | undefined) =>
  JSON.parse(Buffer.from(patch ?? '', 'base64').toString()) as unknown;

test('e2e "it can mutate a pod": the golden patch; one kata.peerpods.io/vm in requests and limits', async () => {
  const answer = await webhook.review(e2ePod('kata-remote'));
  assert.equal(answer.response?.allowed, true);
  assert.equal(answer.response?.patchType, 'JSONPatch');
  checkGolden('e2e-mutate', decodedPatch(answer.response?.patch));
});

test('e2e "it should not mutate non-peerpods": no patch, nothing about kata.peerpods in the answer', async () => {
  const answer = await webhook.review(e2ePod());
  assert.deepEqual(answer.response, {
    uid: '705ab4f5-6393-11e8-b7cc-42010a800002',
    allowed: true,
    status: { metadata: {}, code: 200 },
  });
  assert.ok(!JSON.stringify(answer).includes('kata.peerpods'));
});

test('e2e "default parameters can be changed" (skipped upstream): TARGET_RUNTIMECLASS=kata-wh-test, the same golden patch', async () => {
  webhook.env.TARGET_RUNTIMECLASS = 'kata-wh-test';
  try {
    const answer = await webhook.review(e2ePod('kata-wh-test'));
    checkGolden('e2e-mutate', decodedPatch(answer.response?.patch));
    const before = await webhook.review(e2ePod('kata-remote'));
    assert.equal(before.response?.patch, undefined, 'kata-remote is not the target any more');
  } finally {
    webhook.env.TARGET_RUNTIMECLASS = undefined;
  }
});

import jsonpatch from 'fast-json-patch';
import {
  type MutationResult,
  type MutationSettings,
  mutatePod,
  PodMutationError,
  type PodObject,
} from './pod-mutation';

/** admission.k8s.io/v1 (and v1beta1) AdmissionReview, the parts used here. */
export interface AdmissionReview {
  apiVersion?: string;
  kind?: string;
  request?: {
    uid?: string;
    kind?: { group?: string; version?: string; kind?: string };
    operation?: string;
    namespace?: string;
    name?: string;
    object?: unknown;
  };
  response?: AdmissionResponse;
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status: { metadata: Record<string, never>; code: number; message?: string };
  patch?: string;
  patchType?: 'JSONPatch';
}

/** What one review came to, for the log and the metrics. */
export type ReviewOutcome =
  | { outcome: 'mutated'; pod: string; result: Extract<MutationResult, { kind: 'mutated' }> }
  | { outcome: 'skipped'; pod: string }
  | { outcome: 'rejected'; pod: string; message: string };

const REVIEW_VERSIONS = new Set(['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']);

/**
 * Answers one AdmissionReview as upstream's webhook does: `allowed: true` with a JSON patch from the
 * pod as sent to the mutated pod (no patch when nothing changes), or `allowed: false` with code 400
 * for an object it cannot read. The answer has the request's apiVersion and uid.
 */
export function reviewPod(
  review: AdmissionReview,
  settings: MutationSettings,
): { review: AdmissionReview; outcome: ReviewOutcome } {
  const apiVersion =
    review.apiVersion && REVIEW_VERSIONS.has(review.apiVersion) ? review.apiVersion : 'admission.k8s.io/v1';
  const uid = review.request?.uid ?? '';
  const answer = (response: Omit<AdmissionResponse, 'uid'>): AdmissionReview => ({
    apiVersion,
    kind: 'AdmissionReview',
    response: { uid, ...response },
  });
  const reject = (code: number, message: string, pod = '') => ({
    review: answer({ allowed: false, status: { metadata: {}, code, message } }),
    outcome: { outcome: 'rejected' as const, pod, message },
  });
  const object = review.request?.object;
  if (object === undefined || object === null) return reject(400, 'there is no content to decode');
  if (typeof object !== 'object' || Array.isArray(object))
    return reject(400, 'the object is not a JSON object');
  const pod = object as PodObject;
  if (
    (pod.kind !== undefined && pod.kind !== 'Pod') ||
    (pod.apiVersion !== undefined && pod.apiVersion !== 'v1')
  ) {
    return reject(400, `unable to decode ${pod.apiVersion ?? ''}, Kind=${pod.kind ?? ''} into *v1.Pod`);
  }
  const name = podName(pod, review);
  let result: MutationResult;
  try {
    result = mutatePod(pod, settings);
  } catch (error) {
    if (error instanceof PodMutationError) return reject(400, error.message, name);
    throw error;
  }
  if (result.kind === 'skipped') {
    return {
      review: answer({ allowed: true, status: { metadata: {}, code: 200 } }),
      outcome: { outcome: 'skipped', pod: name },
    };
  }
  const operations = jsonpatch.compare(pod, result.pod);
  return {
    review: answer({
      allowed: true,
      status: { metadata: {}, code: 200 },
      ...(operations.length > 0
        ? {
            patch: Buffer.from(JSON.stringify(operations)).toString('base64'),
            patchType: 'JSONPatch' as const,
          }
        : {}),
    }),
    outcome: { outcome: 'mutated', pod: name, result },
  };
}

/** `namespace/name`; a pod made by a controller has only generateName when admitted. */
function podName(pod: PodObject, review: AdmissionReview): string {
  const namespace = pod.metadata?.namespace || review.request?.namespace || '';
  const name =
    pod.metadata?.name ||
    (pod.metadata?.generateName ? `${pod.metadata.generateName}*` : '') ||
    review.request?.name ||
    '';
  return namespace ? `${namespace}/${name}` : name;
}

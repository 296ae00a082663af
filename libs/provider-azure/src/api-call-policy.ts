import type { AdditionalPolicyConfig } from '@azure/core-client';
import type { PipelineRequest } from '@azure/core-rest-pipeline';
import { type AttemptTally, type CloudApiObserver, observeApiCall } from '@peerpods/providers';

/**
 * ARM's name for a request: the method and the resource type from the URL, e.g.
 * `PUT Microsoft.Compute/virtualMachines` or `GET Microsoft.Compute/locations/operations` (an
 * LRO poll). Names and ids in the path never appear, so the set of names stays small.
 */
export function armOperation(method: string, url: string): string {
  const segments = new URL(url).pathname.split('/').filter(Boolean);
  const at = segments.map((segment) => segment.toLowerCase()).lastIndexOf('providers');
  if (at < 0 || at + 2 >= segments.length) return `${method} ${segments[0] ?? '/'}`;
  const [namespace, ...rest] = segments.slice(at + 1);
  const types = rest.filter((_, index) => index % 2 === 0);
  return `${method} ${namespace}/${types.join('/')}`;
}

/**
 * Pipeline policies that report each ARM request to `observe`: one per call (outside the SDK's
 * retry policy), one per attempt (inside it), which counts 429s.
 */
export function apiCallPolicies(observe: CloudApiObserver): AdditionalPolicyConfig[] {
  const tallies = new WeakMap<PipelineRequest, AttemptTally>();
  return [
    {
      position: 'perCall',
      policy: {
        name: 'peerpodsApiCallObserver',
        sendRequest: (request, next) =>
          observeApiCall(
            observe,
            armOperation(request.method, request.url),
            (tally) => {
              tallies.set(request, tally);
              return next(request);
            },
            { isFailure: (response) => response.status >= 400 },
          ),
      },
    },
    {
      position: 'perRetry',
      policy: {
        name: 'peerpodsApiAttemptObserver',
        sendRequest: async (request, next) => {
          const tally = tallies.get(request);
          if (tally) tally.attempts += 1;
          const response = await next(request);
          if (tally && response.status === 429) tally.throttled += 1;
          return response;
        },
      },
    },
  ];
}

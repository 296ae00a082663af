import type { EC2Client } from '@aws-sdk/client-ec2';
import { type AttemptTally, type CloudApiObserver, observeApiCall } from '@peerpods/providers';
import { errorCode } from './ec2-errors';

const THROTTLE_CODES = new Set([
  'RequestLimitExceeded',
  'Throttling',
  'ThrottlingException',
  'RequestThrottled',
]);

export function isThrottle(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  return status === 429 || THROTTLE_CODES.has(errorCode(error));
}

/**
 * Reports every EC2 call to `observe`: one middleware around the whole call (before the SDK's
 * retry loop) and one inside it, which sees each attempt's parsed error.
 */
export function observeEc2Calls(client: EC2Client, observe: CloudApiObserver): void {
  const tallies = new WeakMap<object, AttemptTally>();
  client.middlewareStack.add(
    (next, context) => (args) =>
      observeApiCall(
        observe,
        (context.commandName ?? 'unknown').replace(/Command$/, ''),
        (tally) => {
          tallies.set(context, tally);
          return next(args);
        },
        { isThrottled: isThrottle },
      ),
    { step: 'initialize', name: 'peerpodsApiCallObserver' },
  );
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const tally = tallies.get(context);
      if (tally) tally.attempts += 1;
      try {
        return await next(args);
      } catch (error) {
        if (tally && isThrottle(error)) tally.throttled += 1;
        throw error;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'peerpodsApiAttemptObserver' },
  );
}

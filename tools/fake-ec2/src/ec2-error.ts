/** An EC2 API error: its code (what SDKs branch on), message and HTTP status. */
export class Ec2Error extends Error {
  override readonly name = 'Ec2Error';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export const throttled = (): Ec2Error => new Ec2Error('RequestLimitExceeded', 'Request limit exceeded.', 503);

export const internalError = (): Ec2Error =>
  new Ec2Error('InternalError', 'An internal error has occurred.', 500);

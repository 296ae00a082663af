/** gRPC canonical status codes, as carried in google.rpc.Status.code. */
export const Code = {
  OK: 0,
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;
export type Code = (typeof Code)[keyof typeof Code];

const goNames = new Map<number, string>(Object.entries(Code).map(([name, value]) => [value, name]));

/** The name Go's `codes.Code.String()` prints, e.g. `NotFound`; `Code(99)` for unknown numbers. */
export function codeName(code: number): string {
  return goNames.get(code) ?? `Code(${code})`;
}

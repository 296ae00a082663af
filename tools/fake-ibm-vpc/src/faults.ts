/** Failures the fake injects, for tests of the provider's error paths. Counts go down as they fire. */
export interface IbmFaults {
  /** The next N POST /instances answer 500 after making the instance (an unknown outcome). */
  createServerErrors?: number;
  /** The next N POST /instances are refused with 400 and this code, making nothing. */
  createRefusals?: { count: number; code: string; message: string };
  /** POST /instances placed on a dedicated host (not a group) is refused: the host is full. */
  dedicatedHostFull?: boolean;
  /** The next N POST /v3/tags/attach are refused with 400. */
  tagFailures?: number;
  /** The next N DELETE /instances/{id} answer 500. */
  deleteServerErrors?: number;
  /** New instances report no address for this many GETs (then their address). */
  addressAfterGets?: number;
  /** Instances never get an address. */
  noAddress?: boolean;
  /** IAM refuses every token request. */
  iamDown?: boolean;
}

/** Takes one from a counted fault; true when it fires. */
export function consume(
  faults: IbmFaults,
  key: 'createServerErrors' | 'tagFailures' | 'deleteServerErrors',
): boolean {
  const left = faults[key] ?? 0;
  if (left <= 0) return false;
  faults[key] = left - 1;
  return true;
}

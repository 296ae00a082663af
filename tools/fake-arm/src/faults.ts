/** Trouble on request (`--faults`, `PUT /_fake/faults`); each field is off when absent. */
export interface ArmFaults {
  /** Answer the next N requests of a kind with 500 InternalServerError; kinds: `PUT vm`, `GET vm`, `DELETE vm`, `GET nic`, `GET sizes`, `GET vms`. */
  internalErrors?: Record<string, number>;
  /** The next N VM creates make the NIC (and disk), then fail: the VM is left in provisioningState Failed. */
  failAfterNic?: number;
  /** How long a long-running operation takes, ms (default 300). */
  operationMs?: number;
  /** New VMs get their network but never boot. */
  neverBoot?: boolean;
}

export function consume(counters: Record<string, number> | undefined, key: string): boolean {
  const left = counters?.[key] ?? 0;
  if (left <= 0 || !counters) return false;
  counters[key] = left - 1;
  return true;
}

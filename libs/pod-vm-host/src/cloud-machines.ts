/**
 * What stands behind a fake cloud's instance: a booted pod VM on this machine
 * ({@link PodVmMachines}), or nothing but an address ({@link PaperMachines}), for tests of an API alone.
 */
export interface MachineRequest {
  /** The cloud's id of the instance (an EC2 id, an ARM VM name). */
  instanceId: string;
  /** The name the VM should have on this machine when it can (unique, a valid name): its Name tag. */
  preferredName: string | undefined;
  /** Decoded user-data, served by the fake's metadata service. */
  userData: string;
  neverBoot: boolean;
}

export interface Machine {
  /** The VM's name on this machine (namespace, directory). */
  name: string;
  privateIp: string;
  /** Settles once the VM booted (the forwarder listens) or its boot failed. */
  booted: Promise<void>;
}

export interface Machines {
  start(request: MachineRequest): Machine;
  stop(name: string): Promise<void>;
  /** Stops every machine and releases what the machines share (bridge, metadata server). */
  close(): Promise<void>;
}

// 198.18.0.0/15 is set aside for benchmarks (RFC 2544): no traffic is sent to paper addresses.
const PAPER_BASE = (198 << 24) | (18 << 16);
const PAPER_SIZE = 1 << 17;

/** Instances as records only: each gets an address from 198.18.0.0/15 and "boots" at once. */
export class PaperMachines implements Machines {
  #next = 1;

  start(request: MachineRequest): Machine {
    const n = PAPER_BASE + (this.#next++ % PAPER_SIZE);
    const ip = [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
    return { name: request.instanceId, privateIp: ip, booted: Promise.resolve() };
  }

  async stop(): Promise<void> {}

  async close(): Promise<void> {}
}

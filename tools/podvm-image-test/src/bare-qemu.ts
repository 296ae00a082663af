import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { removeNetns } from '@peerpods/test-support';

export interface BareQemuOptions {
  image: string;
  format: 'raw' | 'qcow2';
  /** The cidata seed (ISO9660), attached read-only as the second virtio disk, as libvirt's domain has it. */
  seed: string;
  /** Where the serial console is written. */
  consoleFile: string;
  vcpus?: number;
  memoryMiB?: number;
  /** QEMU's `-cpu`; default QEMU's own model. */
  cpu?: string;
  /**
   * `restricted`: QEMU's user network with restrict=on, which offers DHCP and no router, and lets no
   * packet out of QEMU. `routed`: the user network with its router, so the guest gets a default route,
   * with QEMU run in a network namespace made for it that holds only loopback: what the guest sends
   * anywhere goes nowhere.
   */
  network: 'restricted' | 'routed';
}

let counter = 0;

/**
 * A pod VM image booted with plain `qemu-system-x86_64` (TCG), no libvirt: the reference the image
 * test and the boot benchmark measure against. Writes go to a throwaway snapshot, never the image.
 */
export class BareQemu {
  private constructor(
    private readonly child: ChildProcess,
    private readonly consoleFile: string,
    private readonly netns: string | undefined,
    /** performance.now() when QEMU was spawned. */
    readonly startedAt: number,
  ) {}

  static start(options: BareQemuOptions): BareQemu {
    const args = [
      '-machine',
      'pc',
      '-accel',
      'tcg',
      ...(options.cpu ? ['-cpu', options.cpu] : []),
      '-smp',
      String(options.vcpus ?? 2),
      '-m',
      String(options.memoryMiB ?? 1024),
      '-display',
      'none',
      '-no-reboot',
      '-nodefaults',
      '-snapshot',
      '-drive',
      `file=${options.image},format=${options.format},if=virtio`,
      '-drive',
      `file=${options.seed},format=raw,if=virtio,readonly=on`,
      '-nic',
      `user,model=virtio-net-pci${options.network === 'restricted' ? ',restrict=on' : ''}`,
      '-serial',
      `file:${options.consoleFile}`,
    ];
    let netns: string | undefined;
    let command = ['qemu-system-x86_64', ...args];
    if (options.network === 'routed') {
      netns = `ppqemu-${process.pid}-${++counter}`;
      execFileSync('ip', ['netns', 'add', netns]);
      try {
        execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
      } catch (error) {
        removeNetns(netns);
        throw error;
      }
      // `ip netns exec` execs QEMU itself, so killing the child kills QEMU.
      command = ['ip', 'netns', 'exec', netns, ...command];
    }
    const startedAt = performance.now();
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    return new BareQemu(child, options.consoleFile, netns, startedAt);
  }

  console(): string {
    return existsSync(this.consoleFile) ? readFileSync(this.consoleFile, 'utf8') : '';
  }

  /**
   * Milliseconds from QEMU's start until `pattern` shows on the console (polled every 50 ms). Throws
   * with the console's tail when QEMU exits or `timeoutMs` passes first.
   */
  async waitForConsole(pattern: RegExp, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (pattern.test(this.console())) return performance.now() - this.startedAt;
      const why =
        this.child.exitCode !== null || this.child.signalCode !== null
          ? `QEMU exited with ${this.child.exitCode ?? this.child.signalCode}`
          : performance.now() > deadline
            ? `not seen in ${timeoutMs / 1000} s`
            : undefined;
      if (why) throw new Error(`console line ${pattern}: ${why}; console:\n${this.console().slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills QEMU and removes its namespace. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    if (this.netns) removeNetns(this.netns);
  }
}

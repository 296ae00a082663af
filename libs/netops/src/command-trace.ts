import { type CommandRunner, runCommand } from './command';
import { formatCommandLine } from './errors';

/**
 * A runner that reports each command before running it, for an operator's `-log-level debug`.
 * Batch input (`ip -batch -`, `iptables-restore`) is the real work, so it is shown too, one
 * statement after another.
 */
export function tracingRunner(write: (line: string) => void, run: CommandRunner = runCommand): CommandRunner {
  return (file, args, options) => {
    const input = options?.input?.trim();
    const batch = input ? ` <<< ${input.split('\n').join('; ')}` : '';
    write(`running ${formatCommandLine(file, args)}${batch}`);
    return run(file, args, options);
  };
}

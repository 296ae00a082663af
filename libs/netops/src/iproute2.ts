import { type CommandResult, runCommand } from './command';
import { isObject, type JsonObject } from './json';
import { iproute2InNetns, resolveNetns } from './netns';
import type { NetopsOptions } from './options';

/** Runs `ip ARGS` in `options.netns` (checked to exist first). */
export function runIp(args: readonly string[], options: NetopsOptions = {}): Promise<CommandResult> {
  return runIproute2('ip', args, options);
}

/** Runs `tc ARGS` in `options.netns` (checked to exist first). */
export function runTc(args: readonly string[], options: NetopsOptions = {}): Promise<CommandResult> {
  return runIproute2('tc', args, options);
}

export async function runIproute2(
  tool: 'ip' | 'tc',
  args: readonly string[],
  options: NetopsOptions,
  input?: string,
  onSpawn?: (pid: number) => Promise<unknown> | undefined,
): Promise<CommandResult> {
  const target = await resolveNetns(options.netns);
  const command = iproute2InNetns(target, tool, args);
  const run = options.run ?? runCommand;
  return run(command.file, command.args, { input, timeoutMs: options.timeoutMs, onSpawn });
}

/** Runs `ip|tc -json ARGS` and returns the top-level array (empty output is an empty list). */
export async function iproute2Json(
  tool: 'ip' | 'tc',
  args: readonly string[],
  options: NetopsOptions,
): Promise<readonly JsonObject[]> {
  const { stdout } = await runIproute2(tool, ['-json', ...args], options);
  if (stdout.trim() === '') return [];
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new Error(`${tool} -json ${args.join(' ')}: expected a JSON array`);
  return parsed.filter(isObject);
}

import { NetopsCommandError } from './errors';
import { runIproute2 } from './iproute2';
import type { NetopsOptions } from './options';

/**
 * Runs `ip [-n NS] -batch -` with `lines` on stdin: one process for the whole list, which costs about
 * as much as a single `ip` call (see the README's figures). ip stops at the first failing line; lines
 * before it stay applied. The error names that line, e.g. `(line 3: link set dev vxlan1 up)`.
 */
export function ipBatch(lines: readonly string[], options: NetopsOptions = {}): Promise<void> {
  return runBatch('ip', lines, options);
}

/** `tc [-n NS] -batch -`, likewise. */
export function tcBatch(lines: readonly string[], options: NetopsOptions = {}): Promise<void> {
  return runBatch('tc', lines, options);
}

async function runBatch(tool: 'ip' | 'tc', lines: readonly string[], options: NetopsOptions): Promise<void> {
  for (const line of lines) {
    // A newline inside a line would shift ip's line numbers and split one command into two.
    if (/[\r\n]/.test(line))
      throw new TypeError(`${tool} batch line contains a newline: ${JSON.stringify(line)}`);
  }
  if (lines.length === 0) return;
  try {
    await runIproute2(tool, ['-batch', '-'], options, `${lines.join('\n')}\n`);
  } catch (error) {
    if (!(error instanceof NetopsCommandError)) throw error;
    const number = failedLineNumber(error.stderr);
    const text = number === undefined ? undefined : lines[number - 1];
    if (number === undefined || text === undefined) throw error;
    throw error.withFailedLine({ number, text });
  }
}

/**
 * iproute2 reports a failing batch command as `Command failed -:N`. A line it cannot even parse (a bad
 * prefix, an unknown keyword) makes it exit on the spot without that report; then no line is named.
 */
export function failedLineNumber(stderr: string): number | undefined {
  const match = /^Command failed -:(\d+)$/m.exec(stderr);
  return match === null ? undefined : Number(match[1]);
}

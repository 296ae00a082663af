import type { Command } from 'commander';
import { runProgram } from './program';

export interface CapturedRun {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/** Runs a program in-process with its output captured; for tests of CLIs. */
export async function runCaptured(program: Command, argv: readonly string[]): Promise<CapturedRun> {
  let stdout = '';
  let stderr = '';
  const output = {
    writeOut: (text: string) => {
      stdout += text;
    },
    writeErr: (text: string) => {
      stderr += text;
    },
  };
  const apply = (command: Command): void => {
    command.configureOutput(output);
    for (const sub of command.commands) apply(sub);
  };
  apply(program);
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await runProgram(program, argv);
    return { stdout, stderr, exitCode: Number(process.exitCode ?? 0) };
  } finally {
    process.exitCode = before;
  }
}

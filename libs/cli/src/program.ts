import { Command, CommanderError } from 'commander';
import { type BuildInfo, versionText } from './build-info';
import { addBooleanNegations, GoFlagError, normalizeGoFlags } from './go-flags';

export interface ProgramOptions {
  info: BuildInfo;
  description: string;
  /** Upstream's `version` subcommand, kept alongside `--version` where upstream has one. */
  versionSubcommand?: boolean;
}

/** A commander program with the house conventions: `--version` text, help on errors, sorted help. */
export function createProgram({ info, description, versionSubcommand }: ProgramOptions): Command {
  const program = new Command(info.name)
    .description(description)
    .version(
      versionText(info).trimEnd(),
      '-v, --version',
      'print the version, git commit and runtime, then exit',
    )
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortOptions: true, showGlobalOptions: true });
  if (versionSubcommand) {
    program
      .command('version')
      .description('print the version, git commit and runtime, then exit')
      .action(() => {
        const { writeOut } = program.configureOutput();
        (writeOut ?? ((text: string) => process.stdout.write(text)))(versionText(info));
      });
  }
  return program;
}

/** Normalises Go-style flags, parses, and turns failures into a message and an exit code. */
export async function runProgram(
  program: Command,
  argv: readonly string[] = process.argv.slice(2),
): Promise<void> {
  addBooleanNegations(program);
  const overrideExit = (command: Command): void => {
    command.exitOverride();
    for (const sub of command.commands) overrideExit(sub);
  };
  overrideExit(program);
  try {
    await program.parseAsync(normalizeGoFlags(argv, program), { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof GoFlagError) {
      process.stderr.write(`${program.name()}: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

/** Entry point for a binary's main: runs the program and reports an unexpected failure in one line. */
export function startProgram(program: Command, argv: readonly string[] = process.argv.slice(2)): void {
  runProgram(program, argv).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${program.name()}: ${message}\n`);
    process.exitCode = 1;
  });
}

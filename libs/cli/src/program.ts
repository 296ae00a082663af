import { Command, CommanderError } from 'commander';
import { type BuildInfo, versionText } from './build-info';
import { addBooleanNegations, normalizeGoFlags } from './go-flags';
import { UsageError } from './usage-error';

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
    // One line, named like every other message of ours: `name: option '--x <v>' argument missing (see --help)`.
    .configureOutput({
      outputError: (text, write) =>
        write(`${info.name}: ${text.replace(/^error: /, '').trimEnd()} (see --help)\n`),
    })
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

const COMMANDER_OK: ReadonlySet<string> = new Set([
  'commander.helpDisplayed',
  'commander.help',
  'commander.version',
]);

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
      // Help and version end 0; every parse error is a usage error: 2, as Go's flag package.
      process.exitCode = COMMANDER_OK.has(error.code) ? error.exitCode : 2;
      return;
    }
    if (error instanceof UsageError) {
      const writeErr = program.configureOutput().writeErr ?? ((text: string) => process.stderr.write(text));
      writeErr(`${program.name()}: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}

/** Entry point for a binary's main: runs the program and reports an unexpected failure in one line. */
export function startProgram(program: Command, argv: readonly string[] = process.argv.slice(2)): void {
  exitQuietlyOnClosedOutput();
  runProgram(program, argv).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`${program.name()}: ${message}\n`);
    process.exitCode = 1;
  });
}

/**
 * `binary --help | head`: once the reader is gone, a write fails with EPIPE, which unhandled is a
 * stack trace. Nobody is left to read anything, so the process ends at once and quietly, as a Go
 * program dies of SIGPIPE (status 141, what a shell reports for one).
 */
function exitQuietlyOnClosedOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(141);
      throw error;
    });
  }
}

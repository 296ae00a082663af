import { CommandError } from './command';

/** A build step that failed: the phase, and the command in it when a command was the cause. */
export class BuildPhaseError extends Error {
  override readonly name = 'BuildPhaseError';

  constructor(
    readonly phase: string,
    cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const command = cause instanceof CommandError ? 'command ' : '';
    super(`build failed in phase "${phase}": ${command}${detail}`, { cause });
  }
}

export interface PhaseTiming {
  phase: string;
  seconds: number;
  note: string;
}

/** Runs the build's phases in order, printing each with the time it took. */
export class PhaseRunner {
  readonly timings: PhaseTiming[] = [];
  private index = 0;

  constructor(
    private readonly total: number,
    private readonly progress: (line: string) => void,
  ) {}

  async run<T>(phase: string, what: string, step: (note: (text: string) => void) => Promise<T>): Promise<T> {
    this.index += 1;
    const label = `[${this.index}/${this.total}] ${phase}`;
    this.progress(`${label}: ${what}`);
    const started = performance.now();
    let note = '';
    try {
      const result = await step((text) => {
        note = text;
      });
      const seconds = (performance.now() - started) / 1000;
      this.timings.push({ phase, seconds, note });
      this.progress(`${label}: done in ${seconds.toFixed(1)} s${note ? ` (${note})` : ''}`);
      return result;
    } catch (error) {
      throw error instanceof BuildPhaseError ? error : new BuildPhaseError(phase, error);
    }
  }
}

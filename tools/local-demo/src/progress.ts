/** One line per phase; a phase that takes long says so every two seconds, so the demo never looks hung. */
export async function phase<T>(
  label: string,
  work: () => Promise<T>,
  describe?: (result: T) => string,
): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  process.stdout.write(`  ${label} ...`);
  const ticker = setInterval(() => {
    process.stdout.write(` ${((performance.now() - started) / 1000).toFixed(0)}s`);
  }, 2000);
  try {
    const result = await work();
    const ms = performance.now() - started;
    process.stdout.write(` done in ${formatMs(ms)}${describe ? `: ${describe(result)}` : ''}\n`);
    return { result, ms };
  } catch (error) {
    process.stdout.write(' failed\n');
    throw error;
  } finally {
    clearInterval(ticker);
  }
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

import type { PromClient } from './prometheus';

/**
 * A `{method, code}` counter for a hot path (a proxy's every call): each label pair's child is
 * looked up once and then kept, so a call costs one map lookup and an increment. `codeName` turns
 * the numeric status into its label (`OK`, `Unavailable`).
 */
export function callCounter(
  prom: PromClient,
  options: { name: string; help: string; registers: import('prom-client').Registry[] },
  codeName: (code: number) => string,
): (method: string, code: number) => void {
  const counter = new prom.Counter({ ...options, labelNames: ['method', 'code'] });
  const children = new Map<string, ReturnType<typeof counter.labels>>();
  return (method, code) => {
    const key = `${method} ${code}`;
    let child = children.get(key);
    if (!child) {
      child = counter.labels({ method, code: codeName(code) });
      children.set(key, child);
    }
    child.inc();
  };
}

// The TS side of the benchmark client, shaped like `ttrpc-go-peer bench`: one connection, N loops of
// back-to-back unary Echo calls, warm-up discarded, one JSON line out.
// Usage: ts-bench-client <socket> <concurrency> <size> <duration-ms> <warmup-ms>
import { performance } from 'node:perf_hooks';
import { TtrpcClient } from '../src/index';
import { EchoRequest } from '../test/generated/interop';

const [path, concurrencyArg, sizeArg, durationArg, warmupArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const size = Number(sizeArg);
const durationMs = Number(durationArg);
const warmupMs = Number(warmupArg);

const client = await TtrpcClient.connect({ path: path! });
const request = EchoRequest.encode(EchoRequest.fromPartial({ payload: Buffer.alloc(size, 0x61) })).finish();
const latencies: number[][] = Array.from({ length: concurrency }, () => []);
let measuring = false;
let stop = false;
let errors = 0;
const loops = latencies.map(async (mine) => {
  while (!stop) {
    const start = performance.now();
    try {
      await client.call('interop.Echo', 'Echo', request);
    } catch {
      errors++;
      continue;
    }
    if (measuring) mine.push(performance.now() - start);
  }
});
await new Promise((resolve) => setTimeout(resolve, warmupMs));
measuring = true;
const started = performance.now();
await new Promise((resolve) => setTimeout(resolve, durationMs));
measuring = false;
const seconds = (performance.now() - started) / 1000;
stop = true;
await Promise.all(loops);
client.close();
const all = Float64Array.from(latencies.flat()).sort();
const at = (p: number) =>
  all.length ? all[Math.min(all.length - 1, Math.floor(p * all.length))]! * 1000 : 0;
console.log(
  JSON.stringify({
    calls: all.length,
    seconds,
    callsPerSec: all.length / seconds,
    p50us: at(0.5),
    p99us: at(0.99),
    concurrency,
    size,
    errors,
  }),
);

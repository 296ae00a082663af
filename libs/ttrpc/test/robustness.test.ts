// Throws 10,000+ random and mutated inputs at a TS server running in its own process, while a
// well-behaved client keeps calling it. The server must not crash, stay bounded in memory, and
// keep answering the good client correctly throughout.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { encodeDataFrame, encodeRequestFrame, MAX_MESSAGE_BYTES, TtrpcClient } from '../src/index';
import { EchoRequest, EchoResponse } from './generated/interop';
import { tempDir } from './harness';
import { concat } from './hex';

/** Small deterministic PRNG (mulberry32), so a failure can be replayed from its seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = Number(process.env.FUZZ_SEED ?? 20261127);
const CONNECTIONS = 250;
const INPUTS_PER_CONNECTION = 40;

function validRequest(id: number, random: () => number): Buffer {
  const payload = EchoRequest.encode(
    EchoRequest.fromPartial({ payload: Buffer.alloc(Math.floor(random() * 64), 7) }),
  ).finish();
  return concat(
    encodeRequestFrame(id, 0, {
      service: random() < 0.9 ? 'interop.Echo' : 'nope',
      method: 'Echo',
      payload,
      timeoutNano: random() < 0.5 ? 0 : Math.floor(random() * 1e9) - 1e8,
      metadata: random() < 0.5 ? [] : [{ key: 'k', value: 'v'.repeat(Math.floor(random() * 10)) }],
    }),
  );
}

function header(length: number, id: number, type: number, flags: number): Buffer {
  const out = Buffer.alloc(10);
  out.writeUInt32BE(length >>> 0, 0);
  out.writeUInt32BE(id >>> 0, 4);
  out[8] = type;
  out[9] = flags;
  return out;
}

/** One hostile input. Kinds 0 and 1 leave the framing unrecoverable, so they only end a connection. */
function hostileInput(random: () => number, id: number, final: boolean): { bytes: Buffer; last: boolean } {
  const pick = final ? Math.floor(random() * 2) : 2 + Math.floor(random() * 7);
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  switch (pick) {
    case 0: // truncated header
      return { bytes: randomBytes(1 + Math.floor(random() * 9)), last: true };
    case 1: // huge declared length, partial body, then the connection ends
      return {
        bytes: Buffer.concat([
          header(MAX_MESSAGE_BYTES + 1 + Math.floor(random() * 0xfbffffff), id, 1, 0),
          randomBytes(64),
        ]),
        last: true,
      };
    case 2: // unknown type
      return {
        bytes: Buffer.concat([header(4, id, 4 + Math.floor(random() * 250), 0), randomBytes(4)]),
        last: false,
      };
    case 3: {
      // garbage envelope in a well-formed frame
      const body = randomBytes(Math.floor(random() * 200));
      return {
        bytes: Buffer.concat([header(body.length, id, 1, Math.floor(random() * 8)), body]),
        last: false,
      };
    }
    case 4: // data on a stream that is not open
      return {
        bytes: concat(encodeDataFrame(id, Math.floor(random() * 8), randomBytes(Math.floor(random() * 50)))),
        last: false,
      };
    case 5: // even stream id
      return { bytes: validRequest(id * 2, random), last: false };
    case 6: {
      // a valid request with a few bits flipped
      const bytes = validRequest(id, random);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) {
        const at = Math.floor(random() * bytes.length);
        bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
      }
      return { bytes, last: false };
    }
    case 7: // a re-used stream id
      return { bytes: Buffer.concat([validRequest(1, random), validRequest(1, random)]), last: false };
    default: // a valid request
      return { bytes: validRequest(id, random), last: false };
  }
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function startServer(path: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', resolve(import.meta.dirname, 'fixtures/echo-server.ts'), path],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  assert.match(line.toString(), /^READY /);
  return child;
}

test('10,000 hostile inputs: no crash, bounded memory, a good client keeps getting right answers', async (t) => {
  const path = join(tempDir('ttrpc-fuzz-'), 'fuzz.sock');
  const server = await startServer(path);
  let exited = false;
  server.on('exit', () => {
    exited = true;
  });
  t.after(() => {
    server.stdin?.end();
    server.kill('SIGTERM');
  });

  const good = await TtrpcClient.connect({ path });
  let goodCalls = 0;
  let goodStop = false;
  const goodLoop = (async () => {
    while (!goodStop) {
      const text = `good-${goodCalls}`;
      const response = EchoResponse.decode(
        await good.call(
          'interop.Echo',
          'Echo',
          EchoRequest.encode(EchoRequest.fromPartial({ payload: Buffer.from(text) })).finish(),
          {
            timeoutMs: 10_000,
          },
        ),
      );
      assert.equal(response.payload.toString(), text);
      goodCalls++;
    }
  })();

  const random = prng(SEED);
  let inputs = 0;
  let peakRss = 0;
  const baselineRss = rssBytes(server.pid!);
  for (let batch = 0; batch < CONNECTIONS; batch += 10) {
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const socket = net.connect({ path });
        socket.on('error', () => {});
        socket.on('data', () => {});
        await once(socket, 'connect');
        const parts: Buffer[] = [];
        for (let i = 0; i < INPUTS_PER_CONNECTION; i++) {
          parts.push(hostileInput(random, 2 * i + 1, false).bytes);
          inputs++;
        }
        if (random() < 0.5) {
          parts.push(hostileInput(random, 2 * INPUTS_PER_CONNECTION + 1, true).bytes);
          inputs++;
        }
        socket.end(Buffer.concat(parts));
        await once(socket, 'close');
      }),
    );
    peakRss = Math.max(peakRss, rssBytes(server.pid!));
    assert.equal(exited, false, `server died after ${inputs} inputs (seed ${SEED})`);
  }
  goodStop = true;
  await goodLoop;
  good.close();

  t.diagnostic(
    `${inputs} hostile inputs on ${CONNECTIONS} connections; ${goodCalls} good calls; RSS +${((peakRss - baselineRss) / 1e6).toFixed(1)} MB`,
  );
  assert.ok(inputs >= 10_000, `sent ${inputs} inputs`);
  assert.ok(goodCalls > 50, `the good client made ${goodCalls} calls`);
  assert.equal(exited, false);
  // Bounded: hostile connections must not make the server keep what they sent.
  assert.ok(peakRss - baselineRss < 200 * 1024 * 1024, `RSS grew by ${(peakRss - baselineRss) / 1e6} MB`);
});

// The interop.Echo service in TypeScript, with the same behaviour as tools/ttrpc-go-peer's server.
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServerCall, serviceMethods, TtrpcError } from '../src/index';
import { EchoDefinition, type EchoRequest, type EchoResponse } from './generated/interop';

export function patternBytes(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = i % 251;
  return out;
}

export async function echo(request: EchoRequest, call: ServerCall): Promise<EchoResponse> {
  if (request.sleepMs > 0n) await sleep(Number(request.sleepMs), undefined, { signal: call.signal });
  if (request.failCode !== 0) throw new TtrpcError(request.failCode, request.failMessage);
  const metadata = [...call.metadata]
    .sort((a, b) => (a.key === b.key ? a.value.localeCompare(b.value) : a.key.localeCompare(b.key)))
    .map(({ key, value }) => ({ key, value }));
  return {
    payload: request.responseSize > 0n ? patternBytes(Number(request.responseSize)) : request.payload,
    metadata,
    timeoutNano: call.deadline ? BigInt(Math.max(1, Math.round(call.deadline.remainingMs() * 1e6))) : 0n,
  };
}

export const echoMethods = () => serviceMethods(EchoDefinition, { echo });

// Every end-to-end test runs the built single executables (dist/bin) on one LocalNode of its own.
import { resolve } from 'node:path';
import { after } from 'node:test';
import { requireRoot } from '@peerpods/test-support';
import { LocalNode } from '../src/local-node';
import type { DemoProvider } from '../src/provider-launch';

export const binDir = resolve(import.meta.dirname, '../../../dist/bin');

let counter = 0;

/** A worker node with cloud-api-adaptor running; stopped (and checked for leftovers) by `finish`, or after the file. */
export async function startNode(
  options: {
    provider?: DemoProvider;
    adaptorArgs?: readonly string[];
    adaptorEnv?: Readonly<Record<string, string>>;
    kubernetes?: { podUid: string };
    libvirtImage?: string;
  } = {},
): Promise<LocalNode> {
  requireRoot();
  counter++;
  const node = await LocalNode.start({ binDir, name: `ppe2e-${process.pid}-${counter}`, ...options });
  let stopped = false;
  after(async () => {
    if (!stopped) await node.stop().catch(() => {});
  });
  const stop = node.stop.bind(node);
  node.stop = async () => {
    stopped = true;
    return stop();
  };
  return node;
}

// Run as its own process by pod-network.test.ts: creates pod networks concurrently with the test's own.
// Usage: create-networks.ts <worker netns path> <ipam dir> <bridge> <name>...
import { createPodNetwork } from '@peerpods/shim-client';

const [workerNetns, ipamDir, bridge, ...names] = process.argv.slice(2);
const handles = await Promise.all(
  names.map((name) => createPodNetwork({ name, workerNetns, ipamDir, bridge })),
);
process.stdout.write(`${JSON.stringify(handles)}\n`);

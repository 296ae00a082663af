// Forwarder stand-ins for many pod VMs in one process apart from the daemon, driven by JSON lines
// on stdin ({"start": id, host, port, userData} / {"stop": id}); answers `ready <id>` / `stopped <id>`.
import { createInterface } from 'node:readline';
import { type ForwarderStandIn, startForwarderStandIn } from '../test/fixtures/forwarder-standin';

const running = new Map<string, ForwarderStandIn>();
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const message = JSON.parse(line) as {
    start?: string;
    stop?: string;
    host?: string;
    port?: number;
    userData?: string;
  };
  if (message.start) {
    running.set(
      message.start,
      await startForwarderStandIn(message.userData!, message.host!, message.port!, true),
    );
    process.stdout.write(`ready ${message.start}\n`);
  } else if (message.stop) {
    await running.get(message.stop)?.stop();
    running.delete(message.stop);
    process.stdout.write(`stopped ${message.stop}\n`);
  }
});
lines.on('close', async () => {
  await Promise.all([...running.values()].map((standIn) => standIn.stop()));
  process.exit(0);
});

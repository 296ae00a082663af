import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { Duplex, type Readable, type Writable } from 'node:stream';
import { LibvirtConnectionError } from './errors';
import { type ParsedUri, sshArguments } from './uri';

/** ssh's stdout and stdin as one duplex stream; errors of either end it (EPIPE after ssh exits). */
class ChildStdio extends Duplex {
  constructor(
    private readonly output: Readable,
    private readonly input: Writable,
  ) {
    super();
    output.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) output.pause();
    });
    output.once('end', () => this.push(null));
    output.on('error', (error) => this.destroy(error));
    input.on('error', (error) => this.destroy(error));
  }

  override _read(): void {
    this.output.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.input.write(chunk, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.input.destroy();
    this.output.destroy();
    callback(error);
  }
}

/** Opens the byte stream a URI names: the daemon's unix socket, or ssh's stdio to a remote helper. */
export function dial(uri: ParsedUri, signal?: AbortSignal): Promise<Duplex> {
  const { transport } = uri;
  if (transport.kind === 'unix') {
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path: transport.socketPath, signal });
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(socket);
      });
      socket.once('error', (error: NodeJS.ErrnoException) => {
        const hint =
          error.code === 'ENOENT' || error.code === 'ECONNREFUSED' ? ' (is libvirtd running?)' : '';
        reject(
          new LibvirtConnectionError(
            `cannot connect to libvirt at ${transport.socketPath}: ${error.message}${hint}`,
          ),
        );
      });
    });
  }
  const child = spawn(transport.command, sshArguments(transport, uri.remoteName), {
    stdio: ['pipe', 'pipe', 'pipe'],
    signal,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => {
      child.off('error', onError);
      const stream = new ChildStdio(child.stdout, child.stdin);
      child.once('exit', (code, exitSignal) => {
        stream.destroy(
          new LibvirtConnectionError(
            `${transport.command} to ${transport.host} ended (${exitSignal ?? `exit ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`,
          ),
        );
      });
      stream.once('close', () => child.kill());
      resolve(stream);
    });
    const onError = (error: Error) =>
      reject(
        new LibvirtConnectionError(
          `cannot run ${transport.command} for libvirt's ssh transport: ${error.message}`,
        ),
      );
    child.once('error', onError);
  });
}

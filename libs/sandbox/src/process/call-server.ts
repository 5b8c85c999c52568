import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FrameReader, type CallFrame } from '../channel/call-frames.js';

/** A worker's connection once it has named its instance. */
export interface CallConnection {
  instance: string;
  socket: Socket;
  /** Reads the rest of the stream: the greeting's chunk may have held more frames. */
  reader: FrameReader;
  /** Frames that arrived with the greeting. */
  frames: CallFrame[];
}

/**
 * The Unix socket on which the workers of one sandbox process reach the executor, in a
 * directory of its own that only this user can enter. A connection must greet first; what it
 * greets with is handed to `onConnection`, which drops names it did not hand out.
 */
export class CallServer {
  private constructor(
    private readonly server: Server,
    private readonly directory: string,
    /** Where the workers connect. */
    readonly path: string,
  ) {}

  /** Listens; rejects if the socket cannot be created. */
  static async listen(
    maxFrameBytes: number,
    onConnection: (connection: CallConnection) => void,
  ): Promise<CallServer> {
    const directory = await mkdtemp(join(tmpdir(), 'convergio-sandbox-'));
    const path = join(directory, 'calls.sock');
    const server = createServer((socket) => greet(socket, maxFrameBytes, onConnection));
    return new Promise((resolve, reject) => {
      let listening = false;
      // Once listening, an error (a refused accept) leaves the connections made working.
      server.on('error', (error) => {
        if (listening) return;
        rmSync(directory, { recursive: true, force: true });
        reject(error);
      });
      server.listen(path, () => {
        listening = true;
        server.unref();
        resolve(new CallServer(server, directory, path));
      });
    });
  }

  /** Stops accepting and removes the socket; connections made stay open. */
  close(): void {
    this.server.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

function greet(
  socket: Socket,
  maxFrameBytes: number,
  onConnection: (connection: CallConnection) => void,
): void {
  const reader = new FrameReader(maxFrameBytes);
  const onData = (chunk: Buffer) => {
    let frames: CallFrame[];
    try {
      frames = reader.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    if (frames.length === 0) return;
    socket.off('data', onData);
    const [hello, ...rest] = frames;
    if (hello.kind !== 'hello') socket.destroy();
    else onConnection({ instance: hello.instance, socket, reader, frames: rest });
  };
  socket.on('data', onData);
  socket.on('error', () => socket.destroy());
}

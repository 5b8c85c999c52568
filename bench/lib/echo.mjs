// Bare round trips to a child process, the floor under a call through a sandbox process: Node's
// IPC channel (advanced serialization) to its main thread, and a Unix socket to a worker thread.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A child with both echoes; `ipc()` and `socket()` each resolve on the echo of one message. */
export async function echoChild() {
  const directory = mkdtempSync(join(tmpdir(), 'convergio-echo-'));
  const path = join(directory, 'echo.sock');
  const server = createServer();
  await new Promise((resolve) => server.listen(path, resolve));
  const connected = new Promise((resolve) => server.once('connection', resolve));
  const child = fork(new URL('./echo-child.mjs', import.meta.url), [path], {
    serialization: 'advanced',
  });
  const socket = await connected;
  let answer;
  child.on('message', (message) => answer(message));
  socket.on('data', (frame) => answer(frame));
  const frame = Buffer.alloc(16);
  let id = 0;
  return {
    ipc: () =>
      new Promise((resolve) => {
        answer = resolve;
        child.send({ type: 'call', id: ++id, fn: 'noop', input: new Uint8Array(0) });
      }),
    socket: () =>
      new Promise((resolve) => {
        answer = resolve;
        socket.write(frame);
      }),
    close: () => {
      socket.destroy();
      child.disconnect();
      server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

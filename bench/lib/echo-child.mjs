// The child of echo.mjs: answers each IPC message on its main thread, and starts a worker thread
// that answers each frame on a Unix socket (what a sandbox process's plugin worker does, minus
// the plugin).
import { connect } from 'node:net';
import { Worker, isMainThread, workerData } from 'node:worker_threads';

if (isMainThread) {
  process.on('message', (message) =>
    process.send({ type: 'result', id: message.id, output: message.input, resources: {} }),
  );
  process.on('disconnect', () => process.exit(0));
  new Worker(new URL(import.meta.url), { workerData: process.argv[2] }).unref();
} else {
  const socket = connect(workerData);
  socket.on('data', (frame) => socket.write(frame));
  socket.on('error', () => process.exit(0));
}

// The bare path's sandbox process: a worker thread connects to the executor's socket and answers
// each call frame (`{"function","input":{"name"}}`) with greet's output, in JSON, without a plugin.
import { connect } from 'node:net';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { frame, onFrames } from './frames.mjs';

if (isMainThread) {
  process.on('disconnect', () => process.exit(0));
  new Worker(new URL(import.meta.url), { workerData: process.argv[2] }).unref();
} else {
  const socket = connect(workerData);
  onFrames(socket, (call) => {
    const { input } = JSON.parse(Buffer.from(call).toString('utf8'));
    socket.write(frame(Buffer.from(JSON.stringify({ greeting: `Hello, ${input.name}!` }))));
  });
  socket.on('error', () => process.exit(0));
}

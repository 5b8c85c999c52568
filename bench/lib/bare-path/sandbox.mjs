// The bare path's sandbox process: each of its worker threads connects to the executor's socket
// and answers each call frame (`{"function","input":{"name"}}`) with greet's output, in JSON,
// without a plugin. argv: the socket's path, workers.
import { connect } from 'node:net';
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { frame, onFrames } from './frames.mjs';

if (isMainThread) {
  process.on('disconnect', () => process.exit(0));
  const [path, workers] = process.argv.slice(2);
  for (let i = 0; i < Number(workers); i++)
    new Worker(new URL(import.meta.url), { workerData: path }).unref();
} else {
  const socket = connect(workerData);
  onFrames(socket, (call) => {
    const { input } = JSON.parse(Buffer.from(call).toString('utf8'));
    socket.write(frame(Buffer.from(JSON.stringify({ greeting: `Hello, ${input.name}!` }))));
  });
  socket.on('error', () => process.exit(0));
}

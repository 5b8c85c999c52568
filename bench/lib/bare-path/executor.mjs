// The bare path's executor: takes each NATS request and hands it, in a length-prefixed frame on
// a Unix socket, to one of the worker threads of its sandbox process (sandbox.mjs), the one with
// the fewest calls in hand, as the executor hands a call to an instance of the plugin; answers
// with the frame that comes back. argv: NATS URL, subject, workers.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { frame, onFrames } from './frames.mjs';

const [natsUrl, subject, workers] = process.argv.slice(2);
const directory = mkdtempSync(join(tmpdir(), 'convergio-bare-'));
const path = join(directory, 'calls.sock');
const server = createServer();
await new Promise((resolve) => server.listen(path, resolve));
const sandbox = fork(new URL('./sandbox.mjs', import.meta.url), [path, workers]);
const instances = [];
while (instances.length < Number(workers)) {
  const [socket] = await once(server, 'connection');
  const instance = { socket, waiting: [] };
  onFrames(socket, (answer) => instance.waiting.shift().respond(answer));
  instances.push(instance);
}
const nc = await connect({ servers: natsUrl });
nc.subscribe(subject, {
  queue: 'bare',
  callback: (_error, message) => {
    const instance = instances.reduce((a, b) => (b.waiting.length < a.waiting.length ? b : a));
    instance.waiting.push(message);
    instance.socket.write(frame(message.data));
  },
});
await nc.flush();
process.send({ sandbox: sandbox.pid });
process.on('disconnect', () => {
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
});

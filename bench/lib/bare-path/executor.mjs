// The bare path's executor: takes each NATS request and hands it, in a length-prefixed frame on
// a Unix socket, to a worker thread of its sandbox process (sandbox.mjs), as the executor hands
// a call to a plugin's worker; answers with the frame that comes back. argv: NATS URL, subject.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { frame, onFrames } from './frames.mjs';

const [natsUrl, subject] = process.argv.slice(2);
const directory = mkdtempSync(join(tmpdir(), 'convergio-bare-'));
const path = join(directory, 'calls.sock');
const server = createServer();
await new Promise((resolve) => server.listen(path, resolve));
const connected = new Promise((resolve) => server.once('connection', resolve));
const sandbox = fork(new URL('./sandbox.mjs', import.meta.url), [path]);
const socket = await connected;
const waiting = [];
onFrames(socket, (answer) => waiting.shift().respond(answer));
const nc = await connect({ servers: natsUrl });
nc.subscribe(subject, {
  queue: 'bare',
  callback: (_error, message) => {
    waiting.push(message);
    socket.write(frame(message.data));
  },
});
await nc.flush();
process.send({ sandbox: sandbox.pid });
process.on('disconnect', () => {
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
});

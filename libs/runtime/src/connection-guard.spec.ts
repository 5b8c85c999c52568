import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import Fastify from 'fastify';
import { guardConnections, MAX_PIPELINED_REQUESTS, pipeliningHook } from './connection-guard.js';

const IDLE_MS = 1000;

/** A Fastify with the connection guard of bootstrapService, a small and a large answer. */
async function server(maxConnections = 64) {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', pipeliningHook);
  guardConnections(app.server, maxConnections, IDLE_MS);
  app.get('/ok', () => ({ ok: true }));
  const page = 'p'.repeat(64 * 1024);
  app.get('/page', () => page);
  const large = Buffer.alloc(32 * 1024 * 1024, 0x61);
  app.get('/large', (_request, reply) => reply.type('application/octet-stream').send(large));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

type App = Awaited<ReturnType<typeof server>>;
const portOf = (app: App) => (app.server.address() as AddressInfo).port;

/**
 * Opens a connection that sends `requests` and never reads, and resolves how long the server
 * kept it (ms; seen on the server's side: a paused client does not see its connection close).
 */
async function unread(
  app: App,
  requests: string,
): Promise<{ socket: Socket; closed: Promise<number> }> {
  const accepted = new Promise<Socket>((resolve) => app.server.once('connection', resolve));
  const socket = connect(portOf(app), '127.0.0.1');
  socket.pause();
  socket.on('error', () => undefined);
  const opened = performance.now();
  const serverSide = await accepted;
  const closed = new Promise<number>((resolve) =>
    serverSide.once('close', () => resolve(performance.now() - opened)),
  );
  socket.write(requests);
  return { socket, closed };
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;

async function bystander(app: App): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${portOf(app)}/ok`);
  await res.text();
  return res.status;
}

describe('connection guard', () => {
  let app: App;
  afterEach(() => app?.close());

  it(`closes a connection with more than ${MAX_PIPELINED_REQUESTS} unanswered pipelined requests, serving others`, async () => {
    app = await server();
    const { closed } = await unread(app, get('/page').repeat(50));
    expect(await closed).toBeLessThan(IDLE_MS);
    expect(await bystander(app)).toBe(200);
  });

  it('keeps a connection whose client reads its pipelined answers', async () => {
    app = await server();
    const socket = connect(portOf(app), '127.0.0.1');
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received += chunk));
    socket.write(get('/ok').repeat(MAX_PIPELINED_REQUESTS));
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.match(/HTTP\/1\.1 200/g)).toHaveLength(MAX_PIPELINED_REQUESTS);
    expect(socket.destroyed).toBe(false);
    socket.destroy();
  });

  it('closes a connection whose client stops reading an answer, after the idle time', async () => {
    app = await server();
    const { closed } = await unread(app, get('/large'));
    const kept = await closed;
    expect(kept).toBeGreaterThanOrEqual(IDLE_MS);
    expect(kept).toBeLessThan(IDLE_MS + 3000);
    expect(await bystander(app)).toBe(200);
  });

  it('closes connections past the maximum as they arrive, serving those it holds', async () => {
    app = await server(3);
    const open = () =>
      new Promise<Socket>((resolve) => {
        const socket = connect(portOf(app), '127.0.0.1', () => resolve(socket));
        socket.on('error', () => undefined);
      });
    const held = [await open(), await open(), await open()];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const opened = performance.now();
    const extra = connect(portOf(app), '127.0.0.1');
    extra.on('error', () => undefined);
    await new Promise((resolve) => extra.once('close', resolve));
    expect(performance.now() - opened).toBeLessThan(IDLE_MS);
    held[0].destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await bystander(app)).toBe(200);
    for (const socket of held) socket.destroy();
  });
});

import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Requests one connection may have received and not yet answered. HTTP/1.1 lets a client send
 * requests back to back (pipelining) while it reads none of the answers: Node runs each and
 * buffers its answer in the process (2,000 pipelined `GET /docs-json` held 600 MB), so a
 * connection past this many is closed.
 */
export const MAX_PIPELINED_REQUESTS = 8;
/** How often connections are looked at for an answer their client stopped reading. */
const SWEEP_MS = 1000;

/**
 * Bounds what connections hold on `server`: at most `maxConnections` at once (Node's
 * `server.maxConnections`: more are closed as they arrive), and a connection whose answer waits
 * in the process unread (bytes queued, none taken by the client) for `idleMs` is closed. Node's
 * own socket timeout does not see this: while a pipelined request waits its turn the server
 * counts as working, and an answer handed to the socket is finished for the response.
 */
export function guardConnections(server: Server, maxConnections: number, idleMs: number): void {
  server.maxConnections = maxConnections;
  const progress = new Map<Socket, { written: number; since: number }>();
  server.on('connection', (socket: Socket) => {
    progress.set(socket, { written: 0, since: performance.now() });
    socket.once('close', () => progress.delete(socket));
  });
  const sweep = setInterval(() => {
    const now = performance.now();
    for (const [socket, seen] of progress) {
      if (socket.writableLength === 0 || socket.bytesWritten !== seen.written) {
        seen.written = socket.bytesWritten;
        seen.since = now;
      } else if (now - seen.since >= idleMs) socket.destroy();
    }
  }, SWEEP_MS).unref();
  server.once('close', () => clearInterval(sweep));
}

/** Requests each connection has received and not yet answered. */
const inHand = new WeakMap<Socket, number>();

/**
 * Fastify `onRequest` hook closing a connection that has more than
 * {@link MAX_PIPELINED_REQUESTS} requests received and not yet answered.
 */
export function pipeliningHook(
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  const socket = request.raw.socket;
  const count = (inHand.get(socket) ?? 0) + 1;
  inHand.set(socket, count);
  reply.raw.once('close', () => inHand.set(socket, (inHand.get(socket) ?? 1) - 1));
  if (count > MAX_PIPELINED_REQUESTS) socket.destroy();
  done();
}

import { request as httpRequest } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  abortedRequestLogHook,
  accessLogHook,
  type AccessRecord,
  type ServiceLogger,
} from '@convergio/observability';
import type { HttpTimeouts } from './base-config.js';
import { clientErrorReply, idleTimeoutHook, serverTimeouts } from './client-errors.js';

/** A Fastify with the timeouts, client error handler and access-log hooks of bootstrapService. */
async function server(timeouts: HttpTimeouts) {
  const lines: AccessRecord[] = [];
  const logger = {
    access: (record: AccessRecord) => void lines.push(record),
  } as unknown as ServiceLogger;
  const app = Fastify({
    logger: false,
    clientErrorHandler: clientErrorReply(logger, timeouts),
    ...serverTimeouts(timeouts),
  });
  app.addHook('onRequest', abortedRequestLogHook(logger));
  app.addHook('onRequest', idleTimeoutHook(logger, timeouts));
  app.addHook('onResponse', accessLogHook(logger));
  app.get('/ok', () => ({ ok: true }));
  // The server at work (a ?wait, an invoke) for twice the idle timeout.
  app.get('/work', async () => {
    await sleep(2 * timeouts.idleMs);
    return { worked: true };
  });
  app.post('/echo', (request) => request.body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, lines };
}

/** What a raw connection received, and when the server closed it (ms after it opened). */
interface Outcome {
  response: string;
  closedAfterMs: number;
}

/**
 * Opens a connection, writes `first`, then each of `trickle` every 100 ms; reads until the
 * server closes it, or gives up after `giveUpMs` (closedAfterMs Infinity).
 */
function connection(
  app: FastifyInstance,
  first: string,
  trickle: string[] = [],
  giveUpMs = 5000,
): Promise<Outcome> {
  const { port } = app.server.address() as AddressInfo;
  const opened = Date.now();
  return new Promise((resolve) => {
    let response = '';
    let gaveUp = false;
    const socket: Socket = connect(port, '127.0.0.1', () => {
      if (first) socket.write(first);
    });
    const next = [...trickle];
    const writer = setInterval(() => {
      const chunk = next.shift();
      if (chunk !== undefined && socket.writable) socket.write(chunk);
    }, 100);
    const giveUp = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, giveUpMs);
    socket.on('data', (d) => (response += d.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(writer);
      clearTimeout(giveUp);
      resolve({ response, closedAfterMs: gaveUp ? Infinity : Date.now() - opened });
    });
  });
}

/** A GET on a connection of its own: its status and body. */
function get(app: FastifyInstance, path: string): Promise<[number, string]> {
  const { port } = app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve([res.statusCode ?? 0, body]));
    });
    req.on('error', reject);
    req.end();
  });
}

const detailOf = (response: string) =>
  (
    JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as {
      error: { code: string; details: { code: string; message: string }[] };
    }
  ).error;

const post = (length: number) =>
  `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

describe('request timeouts', () => {
  it('cuts a body trickled past HTTP_REQUEST_TIMEOUT_MS with 408 and one access line, serving another connection meanwhile', async () => {
    const { app, lines } = await server({ requestMs: 1000, idleMs: 10_000 });
    try {
      const trickled = connection(app, `${post(100)}"`, Array<string>(60).fill('x'));
      await sleep(300);
      const bystander = await get(app, '/ok');
      const { response, closedAfterMs } = await trickled;
      expect(bystander).toEqual([200, '{"ok":true}']);
      expect(response).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(response).toContain('Connection: close');
      expect(detailOf(response)).toEqual({
        code: 'bad_request',
        message: expect.stringContaining('HTTP_REQUEST_TIMEOUT_MS'),
        details: [{ code: 'request_timeout', message: expect.any(String) }],
      });
      expect(closedAfterMs).toBeGreaterThanOrEqual(1000);
      expect(closedAfterMs).toBeLessThan(2500);
      await sleep(100);
      expect(lines.map((l) => [l.method, l.route, l.status])).toEqual([
        ['GET', '/ok', 200],
        ['POST', '/echo', 408],
      ]);
    } finally {
      await app.close();
    }
  });

  it('closes a connection whose headers do not arrive within the request time, 408 and an (unparsed) line', async () => {
    const { app, lines } = await server({ requestMs: 1000, idleMs: 10_000 });
    try {
      const silent = connection(app, '');
      const slowHeaders = connection(
        app,
        'GET /ok HTTP/1.1\r\n',
        Array<string>(60).fill('X-A: b\r\n'),
      );
      for (const { response, closedAfterMs } of await Promise.all([silent, slowHeaders])) {
        expect(response).toMatch(/^HTTP\/1\.1 408 /);
        expect(detailOf(response).details[0].code).toBe('request_timeout');
        expect(closedAfterMs).toBeLessThan(2500);
      }
      expect(lines).toEqual([
        { method: '(unparsed)', route: '(unparsed)', status: 408, duration_ms: 0, key_id: null },
        { method: '(unparsed)', route: '(unparsed)', status: 408, duration_ms: 0, key_id: null },
      ]);
    } finally {
      await app.close();
    }
  });

  it('answers a body paused past HTTP_IDLE_TIMEOUT_MS with 408 and one access line', async () => {
    const { app, lines } = await server({ requestMs: 60_000, idleMs: 1000 });
    try {
      const { response, closedAfterMs } = await connection(app, `${post(100)}{"a"`);
      expect(response).toMatch(/^HTTP\/1\.1 408 /);
      expect(detailOf(response).details).toEqual([
        { code: 'request_timeout', message: expect.stringContaining('HTTP_IDLE_TIMEOUT_MS') },
      ]);
      expect(closedAfterMs).toBeGreaterThanOrEqual(1000);
      expect(closedAfterMs).toBeLessThan(2500);
      await sleep(100);
      expect(lines).toMatchObject([{ method: 'POST', route: '/echo', status: 408 }]);
    } finally {
      await app.close();
    }
  });

  it('closes a connection that sends nothing for HTTP_IDLE_TIMEOUT_MS', async () => {
    const { app } = await server({ requestMs: 60_000, idleMs: 1000 });
    try {
      const { response, closedAfterMs } = await connection(app, '');
      expect(response).toBe('');
      expect(closedAfterMs).toBeGreaterThanOrEqual(1000);
      expect(closedAfterMs).toBeLessThan(2500);
    } finally {
      await app.close();
    }
  });

  it('keeps a connection silent while the server works on its request, longer than the idle timeout', async () => {
    const { app, lines } = await server({ requestMs: 1000, idleMs: 1000 });
    try {
      expect(await get(app, '/work')).toEqual([200, '{"worked":true}']);
      expect(lines).toMatchObject([{ route: '/work', status: 200 }]);
    } finally {
      await app.close();
    }
  });
});

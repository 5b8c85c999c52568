import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  abortedRequestLogHook,
  accessLogHook,
  type AccessRecord,
  ServiceLogger,
} from '@convergio/observability';
import { clientErrorReply, idleTimeoutHook } from './client-errors.js';
import {
  exchange as exchangeWith,
  exchangeOnPort,
  lastBody,
  start,
} from './probe-service.spec-helper.js';

/** A Fastify with the access-log hooks and client error handler of bootstrapService. */
async function server() {
  const lines: AccessRecord[] = [];
  let created = 0;
  const logger = {
    access: (record: AccessRecord) => void lines.push(record),
  } as unknown as ServiceLogger;
  const timeouts = { requestMs: 300_000, idleMs: 60_000 };
  const app = Fastify({ logger: false, clientErrorHandler: clientErrorReply(logger, timeouts) });
  app.addHook('onRequest', abortedRequestLogHook(logger));
  app.addHook('onRequest', idleTimeoutHook(logger, timeouts));
  app.addHook('onResponse', accessLogHook(logger));
  app.get('/ok', () => ({ ok: true }));
  app.get('/slow', () => new Promise((resolve) => setTimeout(() => resolve({ ok: true }), 300)));
  app.post('/echo', (request) => request.body);
  app.post('/create', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { created: ++created };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, lines };
}

/** Writes `raw` on a socket to `app`, then reads until the server closes it or `closeAfterMs` passes. */
const exchange = (app: FastifyInstance, raw: string, closeAfterMs?: number) =>
  exchangeOnPort((app.server.address() as AddressInfo).port, raw, closeAfterMs);

const bodyOf = (response: string) => response.slice(response.indexOf('\r\n\r\n') + 4);

describe('clientErrorReply', () => {
  it('answers headers over the limit 431 in the error shape, naming the limit, with an access line', async () => {
    const { app, lines } = await server();
    try {
      const response = await exchange(
        app,
        `GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: ${'x'.repeat(17 * 1024)}\r\n\r\n`,
      );
      expect(response).toMatch(/^HTTP\/1\.1 431 /);
      expect(response).toContain('Content-Type: application/json; charset=utf-8');
      const body = bodyOf(response);
      expect(body.endsWith('}\n')).toBe(true);
      expect(JSON.parse(body)).toEqual({
        error: {
          code: 'bad_request',
          message: expect.stringContaining('larger than 16384 bytes'),
          details: [{ code: 'headers_too_large', message: expect.any(String) }],
        },
      });
      expect(lines).toEqual([
        { method: '(unparsed)', route: '(unparsed)', status: 431, duration_ms: 0, key_id: null },
      ]);
    } finally {
      await app.close();
    }
  });

  it.each([
    [
      'Content-Length with Transfer-Encoding',
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['a header name with a space', 'GET /ok HTTP/1.1\r\nHo st: x\r\n\r\n'],
  ])('answers %s 400 in the error shape', async (_what, raw) => {
    const { app, lines } = await server();
    try {
      const response = await exchange(app, raw);
      expect(response).toMatch(/^HTTP\/1\.1 400 /);
      expect(JSON.parse(bodyOf(response))).toMatchObject({
        error: { code: 'bad_request', details: [{ code: 'malformed_request' }] },
      });
      expect(lines).toMatchObject([{ route: '(unparsed)', status: 400 }]);
    } finally {
      await app.close();
    }
  });

  it('answers a request received whole before refusing a malformed one pipelined after it', async () => {
    const { app, lines } = await server();
    try {
      const response = await exchange(
        app,
        'POST /create HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\nGARBAGE\r\n\r\n',
      );
      // The first answer is the one its client counts on: the work it did (RFC 9112 §9.3.2).
      expect(response).toMatch(/^HTTP\/1\.1 200 [^]*\{"created":1\}HTTP\/1\.1 400 /);
      const refusal = response.slice(response.indexOf('{"created":1}') + '{"created":1}'.length);
      expect(JSON.parse(bodyOf(refusal))).toMatchObject({
        error: { code: 'bad_request', details: [{ code: 'malformed_request' }] },
      });
      expect(lines).toMatchObject([
        { method: 'POST', route: '/create', status: 200 },
        { route: '(unparsed)', status: 400 },
      ]);
      // A bystander is still served.
      expect(
        await exchange(app, 'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      await app.close();
    }
  });
});

describe('abortedRequestLogHook', () => {
  it('gives a request its client abandoned one access line, status 499', async () => {
    const { app, lines } = await server();
    try {
      await exchange(app, 'GET /slow HTTP/1.1\r\nHost: x\r\n\r\n', 50);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(lines).toEqual([
        {
          method: 'GET',
          route: '/slow',
          status: 499,
          duration_ms: expect.any(Number),
          key_id: null,
        },
      ]);
    } finally {
      await app.close();
    }
  });

  it('gives a body cut off mid-way one access line, 499, and no client-error line', async () => {
    const { app, lines } = await server();
    try {
      await exchange(
        app,
        'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"name"',
        100,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(lines).toMatchObject([{ method: 'POST', route: '/echo', status: 499 }]);
    } finally {
      await app.close();
    }
  });

  it('logs a finished request once, with its status', async () => {
    const { app, lines } = await server();
    try {
      const response = await exchange(
        app,
        'GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      );
      expect(response).toMatch(/^HTTP\/1\.1 200 /);
      expect(lines).toMatchObject([{ route: '/ok', status: 200 }]);
    } finally {
      await app.close();
    }
  });
});

describe('requests Node answers itself, through bootstrapService', () => {
  let app: INestApplication | undefined;
  const access = jest.spyOn(ServiceLogger.prototype, 'access');
  beforeEach(() => access.mockClear());
  afterEach(() => app?.close());
  afterAll(() => access.mockRestore());

  const linesOf = () => access.mock.calls.map(([record]) => record);

  it.each([
    [
      'an Expect other than 100-continue',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n',
      417,
      'expectation_failed',
      'GET',
    ],
    [
      'a CONNECT (the service is no proxy)',
      'CONNECT x:80 HTTP/1.1\r\nHost: x:80\r\n\r\n',
      400,
      'connect_not_served',
      'CONNECT',
    ],
  ])(
    'answers %s in the error shape, with an access line, and still serves others',
    async (_what, raw, status, code, method) => {
      app = await start();
      const response = await exchangeWith(app, raw);
      expect(response).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
      expect(response).toContain('Content-Type: application/json; charset=utf-8');
      const body = lastBody(response);
      expect(body.endsWith('}\n')).toBe(true);
      expect(JSON.parse(body)).toEqual({
        error: {
          code: 'bad_request',
          message: expect.any(String),
          details: [{ code, message: expect.any(String) }],
        },
      });
      expect(linesOf()).toEqual([
        { method, route: '(no route)', status, duration_ms: 0, key_id: null },
      ]);
      expect(
        await exchangeWith(app, 'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
      ).toMatch(/^HTTP\/1\.1 200 /);
    },
  );

  it('keeps Expect: 100-continue working', async () => {
    app = await start();
    const response = await exchangeWith(
      app,
      'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n',
    );
    expect(response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
    expect(JSON.parse(lastBody(response))).toEqual({ status: 'ok' });
  });
});

import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { accessLogHook, type AccessRecord, type ServiceLogger } from '@convergio/observability';
import { allowedMethods, methodNotAllowedHook } from './method-not-allowed.js';

/** A Fastify with the router options and hooks of bootstrapService, and a few routes. */
async function server() {
  const lines: AccessRecord[] = [];
  const logger = {
    access: (record: AccessRecord) => void lines.push(record),
  } as unknown as ServiceLogger;
  const app = Fastify({ logger: false, routerOptions: { ignoreTrailingSlash: true } });
  app.addHook('onRequest', methodNotAllowedHook(app));
  app.addHook('onResponse', accessLogHook(logger));
  app.get('/v1/tools', () => ({ tools: [] }));
  app.get('/v1/plugins', () => ({ plugins: [] }));
  app.post('/v1/plugins', () => ({ submitted: true }));
  app.get('/v1/plugins/:id', (request) => ({ id: (request.params as { id: string }).id }));
  app.post('/v1/approvals/:id/:version/approve', () => ({ approved: true }));
  app.delete('/v1/api-keys/:id', () => ({ deleted: true }));
  // As Nest's: the platform's error shape.
  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send({ error: { code: 'not_found', message: 'no route', details: [] } }),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, lines };
}

/** A raw request over a real socket (Fastify's inject does not load under Jest's ESM mode). */
function call(
  app: FastifyInstance,
  method: string,
  path: string,
): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }> {
  const { port } = app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('allowedMethods', () => {
  let app: FastifyInstance;
  beforeAll(async () => ({ app } = await server()));
  afterAll(() => app.close());

  it.each([
    ['/v1/tools', ['GET', 'HEAD']],
    ['/v1/tools/', ['GET', 'HEAD']],
    ['/v1/tools?cursor=x', ['GET', 'HEAD']],
    ['/v1/plugins', ['GET', 'HEAD', 'POST']],
    ['/v1/plugins/example.greet', ['GET', 'HEAD']],
    ['/v1/plugins/a%2Eb', ['GET', 'HEAD']],
    ['/v1/approvals/x/1.0.0/approve', ['POST']],
    ['/v1/api-keys/k1', ['DELETE']],
  ])('finds what %s takes: %j', (url, methods) => {
    expect(allowedMethods(app, url)).toEqual(methods);
  });

  it.each(['/v1/nothing', '/v1/plugins/x/y', '/', '/v1/plugins/%zz', '/v1/plugins/%ED%A0%80'])(
    'finds nothing for %s (no route, or a path that does not decode)',
    (url) => {
      expect(allowedMethods(app, url)).toEqual([]);
    },
  );
});

describe('methodNotAllowedHook', () => {
  it.each([
    ['DELETE', '/v1/tools', 'GET, HEAD'],
    ['PUT', '/v1/approvals/x/1.0.0/approve', 'POST'],
    ['GET', '/v1/approvals/x/1.0.0/approve', 'POST'],
    ['PATCH', '/v1/plugins', 'GET, HEAD, POST'],
    ['OPTIONS', '/v1/api-keys/k1?x=1', 'DELETE'],
  ])(
    'answers %s %s with 405, Allow: %s, the error shape, a newline and an access-log line',
    async (method, path, allow) => {
      const { app, lines } = await server();
      try {
        const res = await call(app, method, path);
        expect(res.statusCode).toBe(405);
        expect(res.headers.allow).toBe(allow);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body.endsWith('}\n')).toBe(true);
        expect(JSON.parse(res.body)).toEqual({
          error: {
            code: 'method_not_allowed',
            message: `${method} is not allowed on this path; it takes ${allow} (the Allow header lists them)`,
            details: [],
          },
        });
        expect(lines).toEqual([
          {
            method,
            route: '(no route)',
            status: 405,
            duration_ms: expect.any(Number),
            key_id: null,
          },
        ]);
      } finally {
        await app.close();
      }
    },
  );

  it('answers HEAD on a path that only takes POST with 405 and no body', async () => {
    const { app } = await server();
    try {
      const res = await call(app, 'HEAD', '/v1/approvals/x/1.0.0/approve');
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('POST');
      expect(res.body).toBe('');
    } finally {
      await app.close();
    }
  });

  it('leaves routed requests, HEAD of a GET route and unknown paths as they were', async () => {
    const { app, lines } = await server();
    try {
      const get = await call(app, 'GET', '/v1/tools');
      expect([get.statusCode, JSON.parse(get.body)]).toEqual([200, { tools: [] }]);
      const head = await call(app, 'HEAD', '/v1/tools');
      expect([head.statusCode, head.body, head.headers.allow]).toEqual([200, '', undefined]);
      for (const [method, path] of [
        ['GET', '/v1/nothing'],
        ['DELETE', '/v1/nothing'],
      ]) {
        const res = await call(app, method, path);
        expect([method, path, res.statusCode, res.headers.allow]).toEqual([
          method,
          path,
          404,
          undefined,
        ]);
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'not_found' } });
      }
      expect(lines.map((l) => [l.method, l.route, l.status])).toEqual([
        ['GET', '/v1/tools', 200],
        ['HEAD', '/v1/tools', 200],
        ['GET', '(no route)', 404],
        ['DELETE', '(no route)', 404],
      ]);
      // A path that does not decode is the router's own refusal (400), whatever the method.
      const bad = await call(app, 'PROPFIND', '/v1/plugins/%zz');
      expect([bad.statusCode, bad.headers.allow]).toEqual([400, undefined]);
    } finally {
      await app.close();
    }
  });
});

import type { INestApplication } from '@nestjs/common';
import { call, start } from './probe-service.spec-helper.js';

describe('paths no route serves (notFoundHooks, through bootstrapService)', () => {
  let app: INestApplication | undefined;
  afterEach(() => app?.close());

  it.each(['/nope', '/v1/plugins', '/healthz/x', '/nope?x=1', '/%2e%2e/healthz'])(
    'answers GET %s with 404 not_found in the platform shape, naming the routes the service has',
    async (path) => {
      app = await start();
      const res = await call(app, 'GET', path);
      expect(res.status).toBe(404);
      expect(res.type).toMatch(/^application\/json/);
      expect(res.text.endsWith('}\n')).toBe(true);
      expect(JSON.parse(res.text)).toEqual({
        error: {
          code: 'not_found',
          message: `no route serves GET ${path.split('?')[0]}: this service answers only GET /healthz, /metrics`,
          details: [],
        },
      });
    },
  );

  it('keeps the 405 of a path some route takes under another method, and serves known routes', async () => {
    app = await start();
    const res = await call(app, 'POST', '/healthz');
    expect(res.status).toBe(405);
    expect(JSON.parse(res.text).error.code).toBe('method_not_allowed');
    expect(await call(app, 'GET', '/healthz')).toMatchObject({ status: 200 });
  });

  it('points at /docs when the service serves it, and answers a wildcard path no file can be at likewise', async () => {
    app = await start((nest) => {
      const fastify = nest.getHttpAdapter().getInstance();
      fastify.get('/docs', () => 'docs');
      // As @fastify/static: the not-found handler for a missing file, and here 403 for any other
      // path that reaches it (a path the hooks must take first).
      fastify.get('/docs/*', (request, reply) =>
        (request.params as { '*': string })['*'] === 'nothing'
          ? reply.callNotFound()
          : reply.code(403).send('Forbidden'),
      );
    });
    for (const path of [
      '/v1/nope',
      '/docs/../..',
      '/docs/%2e%2e/x',
      '/docs/./index.html',
      '/docs/%00',
      '/docs/..%5c..%5cetc%5cpasswd',
      `/docs/${'a'.repeat(256)}`,
      `/docs/${'%C3%A9'.repeat(128)}`,
      '/docs/nothing',
    ]) {
      const res = await call(app, 'GET', path);
      expect(res.status).toBe(404);
      expect(JSON.parse(res.text)).toEqual({
        error: {
          code: 'not_found',
          message: `no route serves GET ${path.slice(0, 200)}: the routes are described at /docs (OpenAPI; JSON at /docs-json)`,
          details: [],
        },
      });
    }
    expect(await call(app, 'GET', '/docs/index.html')).toMatchObject({ status: 403 });
  });
});

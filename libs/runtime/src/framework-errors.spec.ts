import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { AccessRecord, ServiceLogger } from '@convergio/observability';
import { frameworkErrorReply, MAX_PARAM_CHARS } from './framework-errors.js';

/** A Fastify as bootstrapService sets it up, with one route and a logger that keeps access lines. */
async function server() {
  const lines: AccessRecord[] = [];
  const logger = {
    access: (record: AccessRecord) => void lines.push(record),
  } as unknown as ServiceLogger;
  const app = Fastify({
    logger: false,
    frameworkErrors: frameworkErrorReply(logger),
    routerOptions: { maxParamLength: MAX_PARAM_CHARS },
  });
  app.get('/v1/plugins/:id', (request) => ({ id: (request.params as { id: string }).id }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, lines };
}

/**
 * A raw GET over a real socket (Fastify's inject does not load under Jest's ESM mode), so that
 * no client re-encodes the path.
 */
function get(
  app: FastifyInstance,
  path: string,
): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string }> {
  const { port } = app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('frameworkErrorReply', () => {
  it.each(['/v1/plugins/%zz', '/v1/plugins/%', '/v1/plugins/%ED%A0%80'])(
    'answers the path %s in the error shape, with a code, a newline and an access-log line',
    async (url) => {
      const { app, lines } = await server();
      try {
        const res = await get(app, url);
        expect(res.statusCode).toBe(400);
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.body.endsWith('}\n')).toBe(true);
        expect(res.body).not.toContain('FST_');
        expect(JSON.parse(res.body)).toEqual({
          error: {
            code: 'bad_request',
            message: expect.stringContaining('%25 for a % itself'),
            details: [{ code: 'bad_url', message: expect.stringContaining('percent-encoding') }],
          },
        });
        expect(lines).toEqual([
          {
            method: 'GET',
            route: '(no route)',
            status: 400,
            duration_ms: expect.any(Number),
            key_id: null,
          },
        ]);
      } finally {
        await app.close();
      }
    },
  );

  it('leaves a well-encoded path to its route', async () => {
    const { app } = await server();
    try {
      const res = await get(app, '/v1/plugins/a%2Eb');
      expect(JSON.parse(res.body)).toEqual({ id: 'a.b' });
    } finally {
      await app.close();
    }
  });
});

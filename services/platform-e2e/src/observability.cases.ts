import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { expectEventually } from '@convergio/testing';
import {
  adminKey,
  api,
  bearer,
  createKey,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';
import { platform } from './support/platform.js';

describe('observability', () => {
  it('carries the trace context from the gateway through NATS into the executor', async () => {
    const [publisher, invoker] = await Promise.all([createKey('publisher'), createKey('invoker')]);
    const manifest = greetManifest();
    await submit(publisher, manifest).expect(202);
    await expectEventually(async () =>
      expect(await versionState(publisher, manifest.id)).toMatchObject({ loaded: true }),
    );
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await api()
      .post(`/v1/plugins/${manifest.id}/invoke`)
      .set(bearer(invoker))
      .set('traceparent', `00-${traceId}-b7ad6b7169203331-01`)
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(res.body.trace_id).toBe(traceId);
    expect(res.headers.traceparent).toContain(traceId);
  });

  it('exports call latency, errors, denials and resource use at /metrics in Prometheus format', async () => {
    const metrics = await request(platform().serviceUrls.executor).get('/metrics').expect(200);
    expect(metrics.headers['content-type']).toMatch(/text\/plain/);
    for (const name of [
      'convergio_plugin_call_duration',
      'convergio_plugin_call_wall_time',
      'convergio_plugin_call_fuel',
      'convergio_plugin_call_errors',
      'convergio_permission_denied',
    ]) {
      expect(metrics.text).toContain(name);
    }
    await request(platform().gatewayUrl).get('/metrics').expect(200);
  });

  it('answers a path no route serves with 404 not_found in the error shape, on every service', async () => {
    const urls = { ...platform().serviceUrls, gateway: platform().gatewayUrl };
    for (const [service, url] of Object.entries(urls)) {
      const res = await request(url).get('/no/such/path').expect(404);
      expect(res.body.error).toEqual({
        code: 'not_found',
        message:
          'no route serves GET /no/such/path: ' +
          (service.startsWith('gateway')
            ? 'the routes are described at /docs (OpenAPI; JSON at /docs-json)'
            : 'this service answers only GET /healthz, /metrics, /readyz'),
        details: [],
      });
    }
  });

  it('logs one JSON line per request with the route and key id, never the key, with no colour codes and a quiet start', async () => {
    const created = await api()
      .post('/v1/api-keys')
      .set(bearer(adminKey()))
      .send({ name: 'access log probe', roles: ['invoker'] })
      .expect(201);
    const { id, key } = created.body as { id: string; key: string };
    await api().get('/v1/tools').set(bearer(key)).expect(200);
    await api().get('/v1/plugins/no.such-plugin').set(bearer(key)).expect(404);

    const gatewayLog = () => readFileSync(join(platform().logsDir, 'gateway.log'), 'utf8');
    const records = () =>
      gatewayLog()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    await expectEventually(() => {
      expect(records()).toContainEqual(
        expect.objectContaining({
          context: 'Access',
          method: 'GET',
          route: '/v1/plugins/:id',
          status: 404,
          key_id: id,
          duration_ms: expect.any(Number),
        }),
      );
    });
    expect(records()).toContainEqual(
      expect.objectContaining({ route: '/v1/tools', status: 200, key_id: id }),
    );
    const text = gatewayLog();
    expect(text).not.toContain(key);
    expect(text).not.toContain('\u001b[');
    // Nest's start-up announcements (a line per module and route) are debug detail.
    expect(
      records().filter((r) => /Mapped \{|dependencies initialized/.test(String(r.msg))),
    ).toEqual([]);
  });

  it('serves the OpenAPI description at /docs-json and its explorer at /docs; errors are JSON lines', async () => {
    const spec = await api().get('/docs-json').expect(200);
    expect(spec.body).toMatchObject({ openapi: expect.any(String) });
    expect(Object.keys(spec.body.paths as object)).toEqual(
      expect.arrayContaining(['/v1/plugins', '/v1/plugins/{id}/invoke', '/v1/audit']),
    );
    const explorer = await api().get('/docs').redirects(1).expect(200);
    expect(explorer.text).toContain('swagger-ui');
    const unknown = await api().get('/v1/nothing-here').expect(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect(unknown.text.endsWith('}\n')).toBe(true);
  });
});

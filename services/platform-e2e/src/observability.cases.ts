import request from 'supertest';
import { expectEventually } from '@convergio/testing';
import { api, bearer, createKey, greetManifest, submit, versionState } from './support/fixtures.js';
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
});

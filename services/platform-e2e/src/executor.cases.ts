import { expectEventually, sha256Hex } from '@convergio/testing';
import {
  api,
  auditTypes,
  bearer,
  createKey,
  fixturesModule,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';

const tool = (name: string) => ({
  name,
  function: name,
  description: `fixture ${name}`,
  input_schema: {},
});

describe('the executor contains misbehaving plugins', () => {
  let invoker: string;
  let auditor: string;
  let id: string;

  beforeAll(async () => {
    const publisher = await createKey('publisher');
    [invoker, auditor] = await Promise.all([createKey('invoker'), createKey('auditor')]);
    const module = fixturesModule();
    const manifest = greetManifest({
      entrypoint: 'fixtures.wasm',
      capabilities: { tools: ['echo', 'spin', 'fail', 'trap', 'membomb'].map(tool) },
      signing: { sha256: sha256Hex(module) },
    });
    id = manifest.id;
    await submit(publisher, manifest, module).expect(202);
    await expectEventually(async () =>
      expect(await versionState(publisher, id)).toMatchObject({ status: 'approved', loaded: true }),
    );
  });

  const invoke = (fn: string, input: unknown = {}) =>
    api().post(`/v1/plugins/${id}/invoke`).set(bearer(invoker)).send({ function: fn, input });

  it('stops an endless loop with 504, records the crash, and keeps serving', async () => {
    const res = await invoke('spin').expect(504);
    expect(res.body.error.code).toBe('plugin_timeout');
    await expectEventually(async () =>
      expect(await auditTypes(auditor, id)).toContain('plugin.crashed'),
    );
    const crash = await api()
      .get('/v1/audit')
      .query({ plugin_id: id, type: 'plugin.crashed' })
      .set(bearer(auditor))
      .expect(200);
    expect(crash.body.events[0].data).toMatchObject({ function: 'spin', reason: 'timeout' });
    expect((await invoke('echo', { still: 'alive' }).expect(200)).body.output).toEqual({
      still: 'alive',
    });
  });

  it('stops an endless loop at its CPU budget (fuel) with 422 and the resources used', async () => {
    const module = fixturesModule();
    const publisher = await createKey('publisher');
    const frugal = greetManifest({
      entrypoint: 'fixtures.wasm',
      capabilities: { tools: ['spin', 'echo'].map(tool) },
      limits: { fuel: 1_000_000 },
      signing: { sha256: sha256Hex(module) },
    });
    await submit(publisher, frugal, module).expect(202);
    await expectEventually(async () =>
      expect(await versionState(publisher, frugal.id)).toMatchObject({ loaded: true }),
    );
    const res = await api()
      .post(`/v1/plugins/${frugal.id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'spin', input: {} })
      .expect(422);
    expect(res.body.error).toMatchObject({
      code: 'plugin_failed',
      details: [expect.objectContaining({ code: 'cpu_limit' })],
    });
    const crash = await expectEventually(async () => {
      const r = await api()
        .get('/v1/audit')
        .query({ plugin_id: frugal.id, type: 'plugin.crashed' })
        .set(bearer(auditor))
        .expect(200);
      expect(r.body.events).toHaveLength(1);
      return (
        r.body as { events: { data: { resources: { fuel_used: number; wall_ms: number } } }[] }
      ).events[0];
    });
    expect(crash.data).toMatchObject({ function: 'spin', reason: 'cpu_limit' });
    expect(crash.data.resources.fuel_used).toBeGreaterThanOrEqual(1_000_000);
    expect(crash.data.resources.wall_ms).toBeLessThan(2000);
    await api()
      .post(`/v1/plugins/${frugal.id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'echo', input: 'ok' })
      .expect(200);
  });

  it('stops a memory bomb at the page cap with 422, records it, and keeps serving', async () => {
    const res = await invoke('membomb').expect(422);
    expect(res.body.error.code).toBe('plugin_failed');
    await expectEventually(async () => {
      const r = await api()
        .get('/v1/audit')
        .query({ plugin_id: id, type: 'plugin.crashed' })
        .set(bearer(auditor))
        .expect(200);
      const bombs = (
        r.body as { events: { data: { function: string; resources: { memory_pages?: number } } }[] }
      ).events.filter((e) => e.data.function === 'membomb');
      expect(bombs).toHaveLength(1);
      expect(bombs[0].data.resources.memory_pages).toBeLessThanOrEqual(1024);
    });
    expect((await invoke('echo', 'alive').expect(200)).body.output).toBe('alive');
  });

  it('answers 422 for a plugin error and for a trap', async () => {
    expect((await invoke('fail').expect(422)).body.error).toMatchObject({
      code: 'plugin_failed',
      message: expect.stringContaining('boom'),
    });
    expect((await invoke('trap').expect(422)).body.error.code).toBe('plugin_failed');
    await invoke('echo', [1]).expect(200);
  });

  it('runs several calls in one round trip', async () => {
    const res = await api()
      .post(`/v1/plugins/${id}/invoke-batch`)
      .set(bearer(invoker))
      .send({
        calls: [
          { function: 'echo', input: 1 },
          { function: 'fail', input: {} },
          { function: 'echo', input: 2 },
        ],
      })
      .expect(200);
    expect(res.body.results).toEqual([
      expect.objectContaining({ output: 1 }),
      { error: expect.objectContaining({ code: 'plugin_failed' }) },
      expect.objectContaining({ output: 2 }),
    ]);
  });
});

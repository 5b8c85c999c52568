import request from 'supertest';
import {
  aManifest,
  createPublisherKey,
  exampleModule,
  expectEventually,
  startPlatform,
} from '@convergio/testing';

interface AuditEvent {
  type: string;
  data: { instance?: string; reason?: string };
}

/**
 * A platform running two executor processes: they share the NATS queue group, so calls spread
 * over both; a revoked plugin is refused and unloaded by both although only one of them consumes
 * plugin.revoked; and either one can die without the platform losing calls. It also runs two
 * gateways, which share the API keys.
 */
describe('the executor scales out as replicas in a NATS queue group', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  const gateway = () => request(platform.info.gatewayUrl);
  const auth = () => ({ Authorization: `Bearer ${platform.info.adminKey}` });
  const invoke = (id: string, name: string) =>
    gateway()
      .post(`/v1/plugins/${id}/invoke`)
      .set(auth())
      .send({ function: 'greet', input: { name } });
  const audit = async (id: string) => {
    const res = await gateway().get('/v1/audit').query({ plugin_id: id, limit: 100 }).set(auth());
    return (res.body as { events: AuditEvent[] }).events;
  };
  const instancesThat = async (id: string, type: string, reason?: string) =>
    new Set(
      (await audit(id))
        .filter((e) => e.type === type && (!reason || e.data.reason === reason))
        .map((e) => e.data.instance),
    );
  async function publish(id: string) {
    const module = exampleModule('greet.wasm');
    const publisher = await createPublisherKey(platform.info.gatewayUrl, platform.info.adminKey);
    await gateway()
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(aManifest({ id }, module))), 'plugin.json')
      .attach('module', module, 'greet.wasm')
      .expect(202);
    await expectEventually(async () => {
      const state = await gateway().get(`/v1/plugins/${id}/versions/1.0.0`).set(auth());
      expect(state.body).toMatchObject({ status: 'approved', loaded: true });
    });
  }

  beforeAll(async () => {
    // Idle eviction (and the unloading of versions revoked elsewhere) runs every 2 s.
    platform = await startPlatform(
      { EXECUTOR_IDLE_UNLOAD_MS: '8000' },
      { executor: 2, gateway: 2 },
    );
    await publish('e2e.replicated');
  }, 120_000);

  afterAll(() => platform?.stop());

  it('spreads calls over both replicas, each running the plugin in its own sandbox', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `caller-${i}`);
    const replies = await Promise.all(names.map((name) => invoke('e2e.replicated', name)));
    expect(replies.map((r) => r.status)).toEqual(names.map(() => 200));
    expect(replies.map((r) => (r.body as { output: unknown }).output)).toEqual(
      names.map((name) => ({ greeting: `Hello, ${name}!` })),
    );
    await expectEventually(async () =>
      expect((await instancesThat('e2e.replicated', 'plugin.loaded')).size).toBe(2),
    );
  });

  it('refuses a revoked plugin whichever replica answers, and both unload it', async () => {
    await gateway()
      .post('/v1/plugins/e2e.replicated/versions/1.0.0/revoke')
      .set(auth())
      .send({ reason: 'compromised' })
      .expect(200);
    await expectEventually(async () =>
      expect((await invoke('e2e.replicated', 'late')).status).toBe(409),
    );
    const replies = await Promise.all(
      Array.from({ length: 10 }, () => invoke('e2e.replicated', 'late')),
    );
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 409));
    await expectEventually(async () =>
      expect(await instancesThat('e2e.replicated', 'plugin.unloaded', 'revoked')).toEqual(
        await instancesThat('e2e.replicated', 'plugin.loaded'),
      ),
    );
  });

  it('keeps answering every call when one replica dies', async () => {
    await publish('e2e.survivor');
    await platform.kill('executor-2');
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await invoke('e2e.survivor', `after-${i}`)).status);
    expect(statuses).toEqual(Array.from({ length: 10 }, () => 200));
  });

  it('refuses a key revoked through one gateway on the other one at once, though it had just served it', async () => {
    const other = () => request(platform.info.serviceUrls['gateway-2']);
    const created = await gateway()
      .post('/v1/api-keys')
      .set(auth())
      .send({ name: 'core', roles: ['invoker'] })
      .expect(201);
    const { id, key } = created.body as { id: string; key: string };
    await other()
      .get('/v1/tools')
      .set({ Authorization: `Bearer ${key}` })
      .expect(200);
    await gateway().delete(`/v1/api-keys/${id}`).set(auth()).expect(200);
    // Well within the 5 s the other gateway may otherwise trust a key it has verified.
    await expectEventually(
      async () => {
        await other()
          .get('/v1/tools')
          .set({ Authorization: `Bearer ${key}` })
          .expect(401);
      },
      { timeoutMs: 1000, intervalMs: 20 },
    );
  });
});

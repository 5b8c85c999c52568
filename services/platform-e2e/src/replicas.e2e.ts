import request from 'supertest';
import { aManifest, exampleModule, expectEventually, startPlatform } from '@convergio/testing';

interface AuditEvent {
  type: string;
  payload: { instance?: string };
}

/**
 * A platform running two executor processes: they share the NATS queue group, so calls spread
 * over both, either one can die without the platform losing calls, and a revoked plugin is
 * refused whichever replica answers.
 */
describe('the executor scales out as replicas in a NATS queue group', () => {
  let platform: Awaited<ReturnType<typeof startPlatform>>;
  const id = 'e2e.replicated-greet';
  const gateway = () => request(platform.info.gatewayUrl);
  const auth = () => ({ Authorization: `Bearer ${platform.info.adminKey}` });
  const invoke = (name: string) =>
    gateway()
      .post(`/v1/plugins/${id}/invoke`)
      .set(auth())
      .send({ function: 'greet', input: { name } });
  const loadedBy = async () => {
    const res = await gateway().get('/v1/audit').query({ plugin_id: id, limit: 100 }).set(auth());
    const events = (res.body as { events: AuditEvent[] }).events;
    return new Set(events.filter((e) => e.type === 'plugin.loaded').map((e) => e.payload.instance));
  };

  beforeAll(async () => {
    platform = await startPlatform({}, { executor: 2 });
    const module = exampleModule('greet.wasm');
    await gateway()
      .post('/v1/plugins')
      .set(auth())
      .attach('manifest', Buffer.from(JSON.stringify(aManifest({ id }, module))), 'plugin.json')
      .attach('module', module, 'greet.wasm')
      .expect(202);
    await expectEventually(async () => {
      const state = await gateway().get(`/v1/plugins/${id}/versions/1.0.0`).set(auth());
      expect(state.body).toMatchObject({ status: 'approved' });
    });
  }, 120_000);

  afterAll(() => platform?.stop());

  it('spreads calls over both replicas, each running the plugin in its own sandbox', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `caller-${i}`);
    const replies = await Promise.all(names.map((name) => invoke(name)));
    expect(replies.map((r) => r.status)).toEqual(names.map(() => 200));
    expect(replies.map((r) => (r.body as { output: unknown }).output)).toEqual(
      names.map((name) => ({ greeting: `Hello, ${name}!` })),
    );
    await expectEventually(async () => expect((await loadedBy()).size).toBe(2));
  });

  it('keeps answering every call when one replica dies', async () => {
    await platform.kill('executor-2');
    const replies = [];
    for (let i = 0; i < 10; i++) replies.push((await invoke(`after-${i}`)).status);
    expect(replies).toEqual(Array.from({ length: 10 }, () => 200));
  });

  it('refuses a revoked plugin whichever replica answers', async () => {
    await gateway()
      .post(`/v1/plugins/${id}/versions/1.0.0/revoke`)
      .set(auth())
      .send({ reason: 'compromised' })
      .expect(200);
    await expectEventually(async () => expect((await invoke('late')).status).toBe(409));
    const replies = await Promise.all(Array.from({ length: 10 }, () => invoke('late')));
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 409));
  });
});

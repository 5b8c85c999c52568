import { expectEventually, sha256Hex } from '@convergio/testing';
import {
  adminKey,
  api,
  artifactFiles,
  auditTypes,
  bearer,
  createKey,
  createKeyFor,
  fixturesModule,
  greetManifest,
  submit,
  uniquePublisher,
  versionState,
} from './support/fixtures.js';

describe('publishers own plugin ids, and versions only move forward', () => {
  let owner: string;
  let ownerName: string;
  let mallory: string;
  let invoker: string;
  let auditor: string;

  beforeAll(async () => {
    ownerName = uniquePublisher('owner');
    [owner, mallory, invoker, auditor] = await Promise.all([
      createKeyFor(ownerName, 'publisher'),
      createKeyFor(uniquePublisher('mallory'), 'publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
  });

  const invoke = (id: string, version?: string) =>
    api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' }, ...(version && { version }) })
      .expect(200);
  /** Submits `version` with `key` and waits until it is approved and loaded. */
  async function publish(key: string, id: string, version: string) {
    await submit(key, greetManifest({ id, version })).expect(202);
    await expectEventually(
      async () =>
        expect(await versionState(key, id, version)).toMatchObject({
          status: 'approved',
          loaded: true,
        }),
      { timeoutMs: 20_000 },
    );
  }
  const refusalCodes = async (id: string) => {
    const res = await api()
      .get('/v1/audit')
      .query({ plugin_id: id, type: 'plugin.submission_refused', limit: 100 })
      .set(bearer(auditor))
      .expect(200);
    return (res.body as { events: { data: { code: string } }[] }).events.map((e) => e.data.code);
  };

  it("refuses another publisher's version of an id as not_owner, keeping nothing of it", async () => {
    const id = greetManifest().id;
    await publish(owner, id, '2.0.0');
    const before = await artifactFiles();
    const evil = fixturesModule();

    const res = await submit(
      mallory,
      greetManifest({ id, version: '1.0.0', signing: { sha256: sha256Hex(evil) } }),
      evil,
    ).expect(403);

    expect(res.body.error.code).toBe('not_owner');
    await api().get(`/v1/plugins/${id}/versions/1.0.0`).set(bearer(invoker)).expect(404);
    expect(await artifactFiles()).toEqual(before);
    await expectEventually(async () => expect(await refusalCodes(id)).toEqual(['not_owner']));
    const submitted = await api()
      .get('/v1/audit')
      .query({ plugin_id: id, type: 'plugin.submitted', limit: 100 })
      .set(bearer(auditor))
      .expect(200);
    expect(
      (submitted.body as { events: { version: string }[] }).events.map((e) => e.version),
    ).toEqual(['2.0.0']);
    expect((await invoke(id)).body).toMatchObject({
      version: '2.0.0',
      output: { greeting: 'Hello, Ada!' },
    });
    expect(
      (await api().get(`/v1/plugins/${id}`).set(bearer(invoker)).expect(200)).body,
    ).toMatchObject({ owner: ownerName, serving_version: '2.0.0' });
  });

  it('refuses a rollback below an approved version and an existing version with 409', async () => {
    const id = greetManifest().id;
    await publish(owner, id, '2.0.0');

    const rollback = await submit(owner, greetManifest({ id, version: '1.0.0' })).expect(409);
    const same = await submit(owner, greetManifest({ id, version: '2.0.0' })).expect(409);

    expect(rollback.body.error.code).toBe('version_not_increasing');
    expect(same.body.error.code).toBe('version_exists');
    await expectEventually(async () =>
      expect(await refusalCodes(id)).toEqual(['version_not_increasing', 'version_exists']),
    );
    await api().get(`/v1/plugins/${id}/versions/1.0.0`).set(bearer(invoker)).expect(404);
  });

  it('serves the highest approved release by default; a pre-release only when asked for', async () => {
    const id = greetManifest().id;
    await publish(owner, id, '2.0.0');
    await publish(owner, id, '3.0.0-beta.1');

    expect((await invoke(id)).body.version).toBe('2.0.0');
    expect((await invoke(id, '3.0.0-beta.1')).body.version).toBe('3.0.0-beta.1');
    const listed = await api().get('/v1/plugins').set(bearer(invoker)).expect(200);
    expect(listed.body.plugins).toContainEqual(
      expect.objectContaining({
        plugin_id: id,
        owner: ownerName,
        serving_version: '2.0.0',
        latest_version: '3.0.0-beta.1',
        latest_status: 'approved',
      }),
    );
    const tools = await api().get('/v1/tools').set(bearer(invoker)).expect(200);
    expect(
      (tools.body.tools as { plugin_id: string; version: string }[])
        .filter((t) => t.plugin_id === id)
        .map((t) => t.version),
    ).toEqual(['2.0.0']);
  });

  it('takes a rejected version again under the same number, and serves it once approved', async () => {
    const id = greetManifest().id;
    await submit(owner, greetManifest({ id, signing: { sha256: 'f'.repeat(64) } })).expect(202);
    await expectEventually(async () =>
      expect((await versionState(owner, id)).status).toBe('rejected'),
    );

    await submit(owner, greetManifest({ id })).expect(202);

    await expectEventually(
      async () =>
        expect(await versionState(owner, id)).toMatchObject({
          status: 'approved',
          loaded: true,
          findings: [],
        }),
      { timeoutMs: 20_000 },
    );
    expect((await invoke(id)).body).toMatchObject({ version: '1.0.0' });
    const listed = await api().get('/v1/plugins').set(bearer(invoker)).expect(200);
    expect(listed.body.plugins).toContainEqual(
      expect.objectContaining({
        plugin_id: id,
        serving_version: '1.0.0',
        latest_status: 'approved',
      }),
    );
  });

  it('lets an admin transfer an id: audited, the new owner submits, the old one is refused', async () => {
    const id = greetManifest().id;
    const heirName = uniquePublisher('heir');
    const heir = await createKeyFor(heirName, 'publisher');
    await submit(owner, greetManifest({ id })).expect(202);

    const moved = await api()
      .put(`/v1/plugins/${id}/owner`)
      .set(bearer(adminKey()))
      .send({ publisher: heirName })
      .expect(200);

    expect(moved.body).toEqual({ plugin_id: id, owner: heirName, previous_owner: ownerName });
    await expectEventually(async () =>
      expect(await auditTypes(auditor, id)).toContain('plugin.owner_changed'),
    );
    await submit(heir, greetManifest({ id, version: '1.1.0' })).expect(202);
    const refused = await submit(owner, greetManifest({ id, version: '1.2.0' })).expect(403);
    expect(refused.body.error.code).toBe('not_owner');
    await api()
      .put(`/v1/plugins/${id}/owner`)
      .set(bearer(owner))
      .send({ publisher: ownerName })
      .expect(403);
  });

  it('refuses a submission with a key of no publisher, saying how to create one', async () => {
    const manifest = greetManifest();
    const res = await submit(adminKey(), manifest).expect(403);
    expect(res.body.error).toMatchObject({
      code: 'forbidden',
      message: expect.stringContaining('"roles": ["publisher"], "publisher"'),
    });
    await api().get(`/v1/plugins/${manifest.id}`).set(bearer(invoker)).expect(404);
  });

  it('needs a publisher for a publisher key, only for one, and lists keys without their secret', async () => {
    const keys = () => api().post('/v1/api-keys').set(bearer(adminKey()));
    const missing = await keys()
      .send({ name: 'ci', roles: ['publisher'] })
      .expect(400);
    expect(missing.body.error).toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ path: '/publisher' })],
    });
    const stray = await keys()
      .send({ name: 'core', roles: ['invoker'], publisher: 'acme' })
      .expect(400);
    expect(stray.body.error.details).toEqual([expect.objectContaining({ path: '/publisher' })]);
    await keys()
      .send({ name: 'ci', roles: ['publisher'], publisher: 'Not A Name' })
      .expect(400);

    const created = await keys()
      .send({ name: 'listed', roles: ['publisher'], publisher: 'listed-pub' })
      .expect(201);
    const listed = await api().get('/v1/api-keys').set(bearer(adminKey())).expect(200);
    const bootstrap = (listed.body.keys as { id: string; name: string }[]).find(
      (k) => k.name === 'bootstrap-admin',
    );
    expect(listed.body.keys).toContainEqual({
      id: created.body.id,
      name: 'listed',
      roles: ['publisher'],
      publisher: 'listed-pub',
      issued_by: bootstrap?.id,
      created_at: expect.any(String),
      revoked_at: null,
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.key);
    await api().get('/v1/api-keys').set(bearer(owner)).expect(403);
  });
});

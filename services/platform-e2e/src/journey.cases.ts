import { expectEventually } from '@convergio/testing';
import {
  adminKey,
  api,
  auditTypes,
  bearer,
  createKey,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';

describe('a plugin travels the whole platform', () => {
  let publisher: string;
  let invoker: string;
  let auditor: string;

  beforeAll(async () => {
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
  });

  it('is submitted, verified, approved, loaded, invoked and audited in order', async () => {
    const manifest = greetManifest();
    const id = manifest.id;

    const submitted = await submit(publisher, manifest).expect(202);
    expect(submitted.body).toEqual({ plugin_id: id, version: '1.0.0', status: 'submitted' });

    await expectEventually(
      async () =>
        expect(await versionState(publisher, id)).toMatchObject({
          status: 'approved',
          loaded: true,
          trust: 'untrusted',
        }),
      { timeoutMs: 20_000 },
    );

    const invoked = await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(invoked.body).toMatchObject({
      plugin_id: id,
      version: '1.0.0',
      output: { greeting: 'Hello, Ada!' },
    });
    expect(typeof invoked.body.duration_ms).toBe('number');

    await expectEventually(async () =>
      expect(await auditTypes(auditor, id)).toEqual([
        'plugin.submitted',
        'plugin.verified',
        'plugin.approved',
        'plugin.loaded',
      ]),
    );
    // One correlation from the submission to the load the approval started (ADR 0031).
    const audit = await api()
      .get('/v1/audit')
      .query({ plugin_id: id, limit: 100 })
      .set(bearer(auditor))
      .expect(200);
    const correlations = (audit.body as { events: { correlation_id: string }[] }).events.map(
      (e) => e.correlation_id,
    );
    expect(new Set(correlations).size).toBe(1);

    const tools = await api().get('/v1/tools').set(bearer(invoker)).expect(200);
    expect(tools.body.tools).toContainEqual(
      expect.objectContaining({ plugin_id: id, name: 'greet' }),
    );
    const listed = await api().get('/v1/plugins').set(bearer(invoker)).expect(200);
    expect(listed.body.plugins).toContainEqual(
      expect.objectContaining({
        plugin_id: id,
        serving_version: '1.0.0',
        latest_version: '1.0.0',
        latest_status: 'approved',
      }),
    );
  });

  it('answers a submission with ?wait once it is approved and loaded, so the next call is served', async () => {
    const manifest = greetManifest();
    const submitted = await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    expect(submitted.body).toEqual({
      plugin_id: manifest.id,
      version: '1.0.0',
      status: 'approved',
      loaded: true,
      load_failure: null,
      policy_violations: [],
      findings: [],
      settled: true,
    });
    expect(submitted.text.endsWith('}\n')).toBe(true);
    await api()
      .post(`/v1/plugins/${manifest.id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
  });

  it('answers a submission with ?wait as pending_approval when an admin must decide', async () => {
    const manifest = greetManifest({
      permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
    });
    const submitted = await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    expect(submitted.body.status).toBe('pending_approval');
  });

  it.each(['-1', '121', 'soon', '1.5'])(
    'refuses ?wait=%s with a 400 naming the field',
    async (wait) => {
      const manifest = greetManifest();
      const refused = await submit(publisher, manifest).query({ wait }).expect(400);
      expect(refused.body.error.code).toBe('validation_failed');
      expect(JSON.stringify(refused.body.error.details)).toContain('wait');
      expect((await api().get(`/v1/plugins/${manifest.id}`).set(bearer(publisher))).status).toBe(
        404,
      );
    },
  );

  it('holds high-risk permissions for an admin, then runs once approved', async () => {
    const manifest = greetManifest({
      permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
    });
    const id = manifest.id;
    await submit(publisher, manifest).expect(202);
    await expectEventually(async () =>
      expect((await versionState(publisher, id)).status).toBe('pending_approval'),
    );

    const refused = await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(409);
    expect(refused.body.error.code).toBe('invalid_state');

    const queue = await api()
      .get('/v1/approvals')
      .query({ status: 'pending' })
      .set(bearer(adminKey()))
      .expect(200);
    expect(queue.body.items).toContainEqual(
      expect.objectContaining({
        plugin_id: id,
        version: '1.0.0',
        high_risk_permissions: ['net.http'],
        permission_diff: { added: ['net.http'], changed: [], removed: [] },
      }),
    );

    await api()
      .post(`/v1/approvals/${id}/1.0.0/approve`)
      .set(bearer(adminKey()))
      .send({ note: 'reviewed' })
      .expect(200);
    await expectEventually(async () =>
      expect(await versionState(publisher, id)).toMatchObject({ status: 'approved', loaded: true }),
    );
    await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Bo' } })
      .expect(200);

    const again = await api()
      .post(`/v1/approvals/${id}/1.0.0/approve`)
      .set(bearer(adminKey()))
      .send({})
      .expect(409);
    expect(again.body.error.code).toBe('invalid_state');
  });

  it('answers an approval with ?wait once the version is loaded, so the next call runs it', async () => {
    const first = greetManifest();
    const id = first.id;
    await submit(publisher, first).query({ wait: 60 }).expect(202);
    const next = greetManifest({
      id,
      version: '1.1.0',
      permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
    });
    const pending = await submit(publisher, next).query({ wait: 60 }).expect(202);
    expect(pending.body.status).toBe('pending_approval');

    for (const wait of ['-1', '121', 'soon']) {
      const refused = await api()
        .post(`/v1/approvals/${id}/1.1.0/approve`)
        .query({ wait })
        .set(bearer(adminKey()))
        .send({})
        .expect(400);
      expect(JSON.stringify(refused.body.error.details)).toContain('wait');
    }
    const approved = await api()
      .post(`/v1/approvals/${id}/1.1.0/approve`)
      .query({ wait: 60 })
      .set(bearer(adminKey()))
      .send({ note: 'reviewed' })
      .expect(200);
    expect(approved.body).toMatchObject({
      plugin_id: id,
      version: '1.1.0',
      status: 'approved',
      loaded: true,
      load_failure: null,
      settled: true,
    });
    const called = await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Grace' } })
      .expect(200);
    expect(called.body.version).toBe('1.1.0');
  });

  it('refuses calls to a revoked version and records the unload', async () => {
    const manifest = greetManifest();
    const id = manifest.id;
    await submit(publisher, manifest).expect(202);
    await expectEventually(async () =>
      expect(await versionState(publisher, id)).toMatchObject({ status: 'approved', loaded: true }),
    );

    await api()
      .post(`/v1/plugins/${id}/versions/1.0.0/revoke`)
      .set(bearer(adminKey()))
      .send({ reason: 'compromised' })
      .expect(200);
    await expectEventually(async () => {
      const res = await api()
        .post(`/v1/plugins/${id}/invoke`)
        .set(bearer(invoker))
        .send({ function: 'greet', input: { name: 'Ada' } });
      expect(res.status).toBe(409);
    });
    await expectEventually(async () =>
      expect(await auditTypes(auditor, id)).toEqual(
        expect.arrayContaining(['plugin.revoked', 'plugin.unloaded']),
      ),
    );
  });
});

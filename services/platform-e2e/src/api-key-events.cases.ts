import { expectEventually } from '@convergio/testing';
import { allKeyNames, auditEvents, issueKey, type IssuedKey } from './support/admin-keys.js';
import { adminKey, api, bearer } from './support/fixtures.js';

describe('API keys: every change audited with its actor, never the key; admin keys rotate without downtime', () => {
  let admin: IssuedKey;
  let auditor: IssuedKey;
  const ofKey = async (type: string, keyId: string) =>
    (await auditEvents(auditor.key, { type })).filter((e) => e.data.key_id === keyId);

  beforeAll(async () => {
    [admin, auditor] = await Promise.all([issueKey(['admin']), issueKey(['auditor'])]);
  });

  it('records creation, rotation and revocation with the admin who made them, and no secret', async () => {
    const created = await api()
      .post('/v1/api-keys')
      .set(bearer(admin.key))
      .send({ name: 'ops', roles: ['admin'] })
      .expect(201);
    const ops = created.body as IssuedKey;
    // Another admin cannot rotate it (it would hold the new secret, and act as ops): 403.
    const refused = await api()
      .post(`/v1/api-keys/${ops.id}/rotate`)
      .set(bearer(admin.key))
      .expect(403);
    expect(refused.body.error.details[0].code).toBe('rotate_other_admin_key');
    // A UUID in either case names the key: the key rotating itself by its upper-case id is itself.
    const rotated = await api()
      .post(`/v1/api-keys/${ops.id.toUpperCase()}/rotate`)
      .set(bearer(ops.key))
      .expect(200);
    expect(rotated.body).toMatchObject({ id: ops.id, name: 'ops', roles: ['admin'] });
    const newKey = (rotated.body as { key: string }).key;

    // No downtime: both secrets work during the grace period, as the same identity.
    for (const key of [ops.key, newKey])
      await api().get('/v1/api-keys').set(bearer(key)).expect(200);
    const listed = await api().get('/v1/api-keys').set(bearer(newKey)).expect(200);
    const { keys } = listed.body as { keys: { id: string }[] };
    expect(keys.filter((k) => k.id === ops.id)).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(newKey);

    // Revoked by its upper-case id, the key is refused at once (not kept by the key cache), and
    // the events name the key's id as stored: what approvals withdrawn on revocation match.
    await api().delete(`/v1/api-keys/${ops.id.toUpperCase()}`).set(bearer(admin.key)).expect(200);
    for (const key of [ops.key, newKey])
      await api().get('/v1/api-keys').set(bearer(key)).expect(401);
    await api().get('/v1/api-keys').set(bearer(admin.key)).expect(200);

    await expectEventually(async () => {
      expect((await ofKey('api_key.created', ops.id)).map((e) => e.data)).toEqual([
        { key_id: ops.id, name: 'ops', roles: ['admin'], publisher: null, actor: admin.id },
      ]);
      expect((await ofKey('api_key.rotation_refused', ops.id)).map((e) => e.data)).toEqual([
        expect.objectContaining({ actor: admin.id, code: 'rotate_other_admin_key' }),
      ]);
      expect((await ofKey('api_key.rotated', ops.id)).map((e) => e.data)).toEqual([
        expect.objectContaining({ key_id: ops.id, actor: ops.id }),
      ]);
      expect((await ofKey('api_key.revoked', ops.id)).map((e) => e.data)).toEqual([
        { key_id: ops.id, name: 'ops', actor: admin.id },
      ]);
    });
    // Searched by the admin's id in upper case or as a URN, the audit log finds what it did.
    for (const actor of [admin.id.toUpperCase(), `urn:uuid:${admin.id}`]) {
      const byActor = await api()
        .get('/v1/audit')
        .query({ actor, type: 'api_key.revoked' })
        .set(bearer(auditor.key))
        .expect(200);
      expect(byActor.body.events).toContainEqual(
        expect.objectContaining({ data: { key_id: ops.id, name: 'ops', actor: admin.id } }),
      );
    }
    const everything = JSON.stringify(await auditEvents(auditor.key, { type: 'api_key.rotated' }));
    expect(everything).not.toContain(newKey);
    expect(everything).not.toContain(ops.key);
  });

  // A secret a rotation replaced (perhaps because it leaked) rotating the key again would leave
  // its holder the only current secret; creating a key would outlive the grace period.
  it('lets a rotated-out secret make calls in its grace period, and revoke its own key, but make no other admin change', async () => {
    const ops = (
      await api()
        .post('/v1/api-keys')
        .set(bearer(admin.key))
        .send({ name: 'ops-leaked', roles: ['admin'] })
        .expect(201)
    ).body as IssuedKey;
    const bystander = await issueKey(['invoker']);
    // A UUID in either case names the key: the key rotating itself by its upper-case id is itself.
    const rotated = await api()
      .post(`/v1/api-keys/${ops.id.toUpperCase()}/rotate`)
      .set(bearer(ops.key))
      .expect(200);
    const current = (rotated.body as { key: string }).key;

    const attempts = [
      api().post(`/v1/api-keys/${ops.id}/rotate`),
      api()
        .post('/v1/api-keys')
        .send({ name: 'persist-leaked', roles: ['admin'] }),
      api().delete(`/v1/api-keys/${bystander.id}`),
      api().post('/v1/signers').send({}),
      api().put('/v1/secrets/leaked').send({}),
      api().put('/v1/plugins/e2e.some/owner').send({}),
      api().post('/v1/approvals/e2e.some/1.0.0/approve').send({}),
    ];
    for (const attempt of attempts) {
      const refused = await attempt.set(bearer(ops.key)).expect(403);
      expect(refused.body.error.details[0].code).toBe('secret_rotated_out');
      expect(refused.body.error.message).toContain('replaced by a rotation');
    }
    // Calls still work with it (the grace period), the current secret and the bystander unchanged.
    await api().get('/v1/api-keys').set(bearer(ops.key)).expect(200);
    await api().get('/v1/tools').set(bearer(bystander.key)).expect(200);
    await api().post(`/v1/api-keys/${ops.id}/rotate`).set(bearer(current)).expect(200);
    const names = await allKeyNames(current);
    expect(names).toContain('ops-leaked');
    expect(names).not.toContain('persist-leaked');

    // Whoever holds a secret of a key someone else rotated can still end it.
    await api().delete(`/v1/api-keys/${ops.id}`).set(bearer(ops.key)).expect(200);
    await api().get('/v1/api-keys').set(bearer(current)).expect(401);

    await expectEventually(async () =>
      expect((await ofKey('api_key.revoked', ops.id)).map((e) => e.data)).toEqual([
        expect.objectContaining({ key_id: ops.id, actor: ops.id }),
      ]),
    );
    expect((await ofKey('api_key.rotation_refused', ops.id)).map((e) => e.data)).toEqual([
      expect.objectContaining({ actor: ops.id, code: 'secret_rotated_out' }),
    ]);
    expect(await ofKey('api_key.rotated', ops.id)).toHaveLength(2);
    expect(await ofKey('api_key.revoked', bystander.id)).toEqual([]);
  });

  it('refuses a rotation by a non-admin, of an unknown or revoked key, or with a bad id, recording nothing', async () => {
    const target = await issueKey(['invoker']);
    const revoked = await issueKey(['invoker']);
    await api().delete(`/v1/api-keys/${revoked.id}`).set(bearer(admin.key)).expect(200);
    const refusals: [string, string, number, string][] = [
      [target.key, target.id, 403, 'forbidden'],
      [auditor.key, target.id, 403, 'forbidden'],
      [admin.key, '00000000-0000-4000-8000-000000000000', 404, 'not_found'],
      [admin.key, revoked.id, 409, 'invalid_state'],
      [admin.key, 'not-a-uuid', 400, 'validation_failed'],
      [admin.key, 'urn:uuid:00000000-0000-4000-8000-000000000000', 404, 'not_found'],
    ];
    for (const [key, id, status, code] of refusals) {
      const res = await api().post(`/v1/api-keys/${id}/rotate`).set(bearer(key)).expect(status);
      expect(res.body.error.code).toBe(code);
    }
    // The target still works with its one secret; no rotation of either key was recorded.
    await api().get('/v1/tools').set(bearer(target.key)).expect(200);
    await expectEventually(async () =>
      expect(await ofKey('api_key.revoked', revoked.id)).toHaveLength(1),
    );
    expect(await ofKey('api_key.rotated', target.id)).toEqual([]);
    expect(await ofKey('api_key.rotated', revoked.id)).toEqual([]);
  });

  it('lists keys for admins only', async () => {
    await api().get('/v1/api-keys').set(bearer(auditor.key)).expect(403);
    await api().get('/v1/api-keys').set(bearer(adminKey())).expect(200);
  });
});

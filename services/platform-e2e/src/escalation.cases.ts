import { expectEventually } from '@convergio/testing';
import { auditEvents, issueKey, type IssuedKey } from './support/admin-keys.js';
import { adminKey, api, bearer, greetManifest, submit } from './support/fixtures.js';

const HTTP = { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET' as const] }] } };

describe('no silent escalation, no outage; revocation reaches every executor replica at once', () => {
  let publisher: IssuedKey;
  let invoker: IssuedKey;
  let admin: IssuedKey;

  const invoke = (id: string, version?: string) =>
    api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker.key))
      .send({ function: 'greet', input: { name: 'Ada' }, ...(version && { version }) });
  const instancesThat = async (id: string, type: string, reason?: string) =>
    new Set(
      (await auditEvents(adminKey(), { plugin_id: id, type }))
        .filter((e) => !reason || e.data.reason === reason)
        .map((e) => e.data.instance),
    );

  beforeAll(async () => {
    [publisher, invoker, admin] = await Promise.all([
      issueKey(['publisher']),
      issueKey(['invoker']),
      issueKey(['admin']),
    ]);
  });

  it('keeps the approved version serving while an upgrade adding net.http waits, and never runs the upgrade before it is approved', async () => {
    const first = greetManifest();
    const id = first.id;
    expect((await submit(publisher.key, first).query({ wait: 30 }).expect(202)).body.status).toBe(
      'approved',
    );
    const upgrade = greetManifest({ id, version: '1.1.0', permissions: HTTP });
    const pending = await submit(publisher.key, upgrade).query({ wait: 30 }).expect(202);
    expect(pending.body.status).toBe('pending_approval');

    const calls = await Promise.all(Array.from({ length: 6 }, () => invoke(id)));
    expect(calls.map((c) => [c.status, (c.body as { version: string }).version])).toEqual(
      calls.map(() => [200, '1.0.0']),
    );
    const named = await invoke(id, '1.1.0').expect(409);
    expect(named.body.error.code).toBe('invalid_state');
    const summary = await api().get(`/v1/plugins/${id}`).set(bearer(invoker.key)).expect(200);
    expect(summary.body.serving_version).toBe('1.0.0');

    await api()
      .post(`/v1/approvals/${id}/1.1.0/approve`)
      .query({ wait: 30 })
      .set(bearer(adminKey()))
      .send({ note: 'api.example.com is ours' })
      .expect(200);
    await expectEventually(async () => expect((await invoke(id)).body.version).toBe('1.1.0'));

    // New code asking for the same high-risk grant is reviewed too: nobody ships it unseen.
    const sameGrant = greetManifest({ id, version: '1.2.0', permissions: HTTP });
    const held = await submit(publisher.key, sameGrant).query({ wait: 30 }).expect(202);
    expect(held.body.status).toBe('pending_approval');
    expect((await invoke(id)).body.version).toBe('1.1.0');
    await invoke(id, '1.2.0').expect(409);
  });

  it('refuses calls and unloads a revoked version on both replicas within a second of the admin revoke', async () => {
    const manifest = greetManifest();
    const id = manifest.id;
    await submit(publisher.key, manifest).query({ wait: 30 }).expect(202);
    // Calls spread over the two replicas in their queue group: each loads the version on its first.
    await expectEventually(async () => {
      const replies = await Promise.all(Array.from({ length: 8 }, () => invoke(id)));
      expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
      expect((await instancesThat(id, 'plugin.loaded')).size).toBe(2);
    });
    const bystander = greetManifest();
    await submit(publisher.key, bystander).query({ wait: 30 }).expect(202);

    await api()
      .post(`/v1/plugins/${id}/versions/1.0.0/revoke`)
      .set(bearer(admin.key))
      .send({ reason: 'compromised' })
      .expect(200);
    // Bounded by a second: a broadcast, not the next eviction tick (every 2 s or more).
    await expectEventually(
      async () => {
        const replies = await Promise.all(Array.from({ length: 8 }, () => invoke(id)));
        expect(replies.map((r) => r.status)).toEqual(replies.map(() => 409));
        expect(await instancesThat(id, 'plugin.unloaded', 'revoked')).toEqual(
          await instancesThat(id, 'plugin.loaded'),
        );
      },
      { timeoutMs: 1000, intervalMs: 25 },
    );
    await expectEventually(async () =>
      expect(await auditEvents(adminKey(), { plugin_id: id, type: 'plugin.revoked' })).toEqual([
        expect.objectContaining({
          data: expect.objectContaining({ reason: 'compromised', actor: admin.id }),
        }),
      ]),
    );
    expect((await invoke(bystander.id)).status).toBe(200);
  });
});

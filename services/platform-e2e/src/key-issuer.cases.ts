import { expectEventually } from '@convergio/testing';
import { auditEvents, issueKey, type IssuedKey } from './support/admin-keys.js';
import { adminKey, api, bearer, greetManifest, submit, versionState } from './support/fixtures.js';

const HTTP = { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET' as const] }] } };

// An admin who creates a publisher key, or rotates one, is handed its secret: submitting with it
// and approving with their own admin key would be approving their own submission.
describe('separation of duties: whoever issued the submitting secret counts as the submitter', () => {
  let adminA: IssuedKey;
  let adminB: IssuedKey;

  const approve = (key: string, id: string, body: object = {}) =>
    api().post(`/v1/approvals/${id}/1.0.0/approve`).set(bearer(key)).send(body);
  const ofPlugin = async (id: string, type: string) =>
    (await auditEvents(adminKey(), { plugin_id: id, type })).map((e) => e.data);
  const issuerListed = async (keyId: string) => {
    const res = await api().get('/v1/api-keys').set(bearer(adminKey())).expect(200);
    return (res.body.keys as { id: string; issued_by: string | null }[]).find((k) => k.id === keyId)
      ?.issued_by;
  };
  /** Submits a version that needs an admin with `secret`; answers its id once it waits. */
  async function pendingWith(secret: string) {
    const manifest = greetManifest({ permissions: HTTP });
    const res = await submit(secret, manifest).query({ wait: 30 }).expect(202);
    expect(res.body.status).toBe('pending_approval');
    return manifest.id;
  }
  /** Every way the issuer tries to approve is refused and audited; the version waits on. */
  async function expectIssuerRefused(id: string, submitter: IssuedKey, issuer: IssuedKey) {
    const queued = await api().get('/v1/approvals').set(bearer(adminKey())).expect(200);
    expect(queued.body.items).toContainEqual(
      expect.objectContaining({
        plugin_id: id,
        submitted_by: submitter.id,
        submitted_by_issuer: issuer.id,
      }),
    );
    for (const [body, query] of [
      [{ note: 'lgtm' }, {}],
      [{}, { wait: 5 }],
      [{ trust: 'trusted' }, {}],
    ] as const) {
      const refused = await approve(issuer.key, id, body).query(query).expect(403);
      expect(refused.body.error).toMatchObject({
        code: 'forbidden',
        details: [expect.objectContaining({ code: 'self_approval_forbidden' })],
      });
    }
    expect(await versionState(adminKey(), id)).toMatchObject({ status: 'pending_approval' });
    await expectEventually(async () =>
      expect(await ofPlugin(id, 'plugin.approval_refused')).toEqual(
        Array.from({ length: 3 }, (): unknown =>
          expect.objectContaining({ actor: issuer.id, code: 'self_approval_forbidden' }),
        ),
      ),
    );
    expect(await ofPlugin(id, 'plugin.approved')).toEqual([]);
  }
  async function expectApprovedBy(id: string, approver: IssuedKey) {
    await approve(approver.key, id).query({ wait: 30 }).expect(200);
    expect(await versionState(adminKey(), id)).toMatchObject({ status: 'approved' });
    await expectEventually(async () =>
      expect(await ofPlugin(id, 'plugin.approved')).toEqual([
        expect.objectContaining({ actor: approver.id }),
      ]),
    );
  }

  beforeAll(async () => {
    [adminA, adminB] = await Promise.all([issueKey(['admin']), issueKey(['admin'])]);
  });

  it('refuses the admin who created the submitting publisher key (403, audited); another admin approves', async () => {
    const minted = await issueKey(['publisher'], undefined, adminA.key);
    expect(await issuerListed(minted.id)).toBe(adminA.id);
    const id = await pendingWith(minted.key);
    await expectIssuerRefused(id, minted, adminA);
    await expectApprovedBy(id, adminB);
  });

  it('refuses the admin who rotated the submitting publisher key, whichever of its secrets submitted', async () => {
    const ci = await issueKey(['publisher']);
    const rotated = await api()
      .post(`/v1/api-keys/${ci.id}/rotate`)
      .set(bearer(adminA.key))
      .expect(200);
    const newSecret = (rotated.body as { key: string }).key;
    expect(await issuerListed(ci.id)).toBe(adminA.id);
    const id = await pendingWith(newSecret);
    await expectIssuerRefused(id, { id: ci.id, key: newSecret }, adminA);
    await expectApprovedBy(id, adminB);
    // The old secret, still in its grace period, keeps its own issuer (the key that created ci),
    // but A now holds ci's current secret: ci is of A's issuance lineage, so A approves nothing
    // ci submits, even with the secret A never held.
    const viaOld = await pendingWith(ci.key);
    const queued = await api().get('/v1/approvals').set(bearer(adminKey())).expect(200);
    expect(queued.body.items).toContainEqual(
      expect.objectContaining({
        plugin_id: viaOld,
        submitted_by_issuer: expect.not.stringMatching(adminA.id),
      }),
    );
    const refused = await approve(adminA.key, viaOld).expect(403);
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({
        code: 'self_approval_forbidden',
        message: expect.stringMatching(/share an issuance lineage/),
      }),
    ]);
    await expectApprovedBy(viaOld, adminB);
  });

  // The next trick: an admin+publisher key rotating itself with the secret its creator was given.
  it('refuses the creator of an admin+publisher key even after that key rotated itself', async () => {
    const minted = await issueKey(['admin', 'publisher'], undefined, adminA.key);
    const rotated = await api()
      .post(`/v1/api-keys/${minted.id}/rotate`)
      .set(bearer(minted.key))
      .expect(200);
    const newSecret = (rotated.body as { key: string }).key;
    expect(await issuerListed(minted.id)).toBe(adminA.id);
    const id = await pendingWith(newSecret);
    await expectIssuerRefused(id, { id: minted.id, key: newSecret }, adminA);
    await expectApprovedBy(id, adminB);
  });

  it('lets an admin approve a version submitted with a key another admin issued', async () => {
    const fromB = await issueKey(['publisher'], undefined, adminB.key);
    const id = await pendingWith(fromB.key);
    await expectApprovedBy(id, adminA);
  });
});

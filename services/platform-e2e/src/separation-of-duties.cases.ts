import type { Manifest } from '@convergio/contracts';
import { encodeBase64url, generateSignerKeys, signManifest } from '@convergio/signing';
import { exampleModule, expectEventually, sha256Hex } from '@convergio/testing';
import { auditEvents, issueKey, type IssuedKey } from './support/admin-keys.js';
import {
  adminKey,
  api,
  bearer,
  greetManifest,
  submit,
  uniqueId,
  uniquePublisher,
  versionState,
} from './support/fixtures.js';
import { callHost } from './support/hostile.js';

const HTTP = { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET' as const] }] } };
const hostile = exampleModule('hostile.wasm');
const tool = (name: string) => ({ name, function: name, description: name, input_schema: {} });
/** hostile.wasm (its `call_host` export calls any host function) with `permissions`. */
const hostileManifest = (id: string, permissions: Manifest['permissions']): Manifest =>
  greetManifest({
    id,
    entrypoint: 'hostile.wasm',
    capabilities: { tools: [tool('call_host'), tool('ping')] },
    permissions,
    signing: { sha256: sha256Hex(hostile) },
  });

describe('separation of duties: nobody approves their own submission; proc.exec and trust take two admins', () => {
  const signer = generateSignerKeys();
  let publisher: IssuedKey;
  let adminOne: IssuedKey;
  let adminTwo: IssuedKey;
  let invoker: IssuedKey;

  const approve = (key: string, id: string, body: object = {}) =>
    api().post(`/v1/approvals/${id}/1.0.0/approve`).set(bearer(key)).send(body);
  const invoke = (id: string, fn = 'greet') =>
    api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker.key))
      .send({ function: fn, input: { name: 'Ada' } });
  const ofPlugin = async (id: string, type: string) =>
    (await auditEvents(adminKey(), { plugin_id: id, type })).map((e) => e.data);
  async function signedPending(permissions: Manifest['permissions']) {
    const id = uniqueId('sod');
    const signed = signManifest(
      hostileManifest(id, permissions),
      hostile,
      signer.secretKey,
      'e2e-sod',
    );
    const res = await submit(publisher.key, signed, hostile).query({ wait: 30 }).expect(202);
    expect(res.body.status).toBe('pending_approval');
    return id;
  }

  beforeAll(async () => {
    [publisher, adminOne, adminTwo, invoker] = await Promise.all([
      issueKey(['publisher']),
      issueKey(['admin']),
      issueKey(['admin']),
      issueKey(['invoker']),
    ]);
    await api()
      .post('/v1/signers')
      .set(bearer(adminKey()))
      .send({ id: 'e2e-sod', public_key: encodeBase64url(signer.publicKey), trust: 'trusted' })
      .expect(201);
  });

  it('refuses an admin approving what they submitted (403, audited), by the same key or another key of the publisher; another admin approves', async () => {
    const name = uniquePublisher('selfish');
    const selfish = await issueKey(['admin', 'publisher'], name);
    const sameHouse = await issueKey(['admin', 'publisher'], name);
    const reasons = { 'net.http': 'reads greetings from api.example.com' };
    const manifest = greetManifest({ permissions: HTTP, permission_reasons: reasons });
    const id = manifest.id;
    await submit(selfish.key, manifest).query({ wait: 30 }).expect(202);
    const queued = await api().get('/v1/approvals').set(bearer(adminKey())).expect(200);
    expect(queued.body.items).toContainEqual(
      expect.objectContaining({
        plugin_id: id,
        submitted_by: selfish.id,
        publisher: name,
        approvals_required: 1,
        permission_reasons: reasons,
        permission_diff: { added: ['net.http'], changed: [], removed: [] },
      }),
    );

    for (const [attacker, query] of [
      [selfish, {}],
      [selfish, { wait: 5 }],
      [sameHouse, {}],
    ] as const) {
      const refused = await approve(attacker.key, id, { note: 'lgtm' }).query(query).expect(403);
      expect(refused.body.error).toMatchObject({
        code: 'forbidden',
        details: [expect.objectContaining({ code: 'self_approval_forbidden' })],
      });
    }
    expect(await versionState(selfish.key, id)).toMatchObject({ status: 'pending_approval' });
    expect((await invoke(id)).status).toBe(409);
    await expectEventually(async () =>
      expect(await ofPlugin(id, 'plugin.approval_refused')).toEqual([
        expect.objectContaining({ actor: selfish.id, code: 'self_approval_forbidden' }),
        expect.objectContaining({ actor: selfish.id, code: 'self_approval_forbidden' }),
        expect.objectContaining({ actor: sameHouse.id, code: 'self_approval_forbidden' }),
      ]),
    );

    await approve(adminOne.key, id, { note: 'host reviewed' }).query({ wait: 30 }).expect(200);
    expect((await invoke(id)).status).toBe(200);
    await expectEventually(async () =>
      expect(await ofPlugin(id, 'plugin.approved')).toEqual([
        expect.objectContaining({ actor: adminOne.id, note: 'host reviewed' }),
      ]),
    );
  });

  it('holds proc.exec until a second, different admin approves; the first admin cannot approve twice', async () => {
    const id = await signedPending({ 'proc.exec': { binaries: ['/bin/echo'] } });
    const first = await approve(adminOne.key, id, { trust: 'trusted', note: 'read it' }).expect(
      200,
    );
    expect(first.body).toMatchObject({
      status: 'pending',
      approvals_required: 2,
      approvals: [
        expect.objectContaining({ actor: adminOne.id, trust: 'trusted', note: 'read it' }),
      ],
    });
    expect(await versionState(publisher.key, id)).toMatchObject({ status: 'pending_approval' });
    expect((await invoke(id, 'ping')).status).toBe(409);

    const again = await approve(adminOne.key, id, { trust: 'trusted' }).expect(403);
    expect(again.body.error.details).toEqual([
      expect.objectContaining({ code: 'second_approver_required' }),
    ]);
    await approve(publisher.key, id).expect(403);
    expect((await invoke(id, 'ping')).status).toBe(409);

    await approve(adminTwo.key, id).query({ wait: 30 }).expect(200);
    const answer = await callHost(invoker.key, id, 'proc_exec', {
      binary: '/bin/echo',
      args: ['two', 'admins'],
    });
    expect(answer).toMatchObject({ exit_code: 0, stdout: 'two admins\n' });
    await expectEventually(async () => {
      expect(await ofPlugin(id, 'plugin.approval_recorded')).toEqual([
        expect.objectContaining({ actor: adminOne.id, approvals: 1, approvals_required: 2 }),
      ]);
      expect(await ofPlugin(id, 'plugin.approval_refused')).toEqual([
        expect.objectContaining({ actor: adminOne.id, code: 'second_approver_required' }),
      ]);
      expect(await ofPlugin(id, 'plugin.approved')).toEqual([
        expect.objectContaining({
          actor: adminTwo.id,
          trust: 'trusted',
          approvers: [adminOne.id, adminTwo.id],
        }),
      ]);
    });
  });

  it('holds a trust designation for a second admin, who cannot quietly change the trust', async () => {
    const id = await signedPending(HTTP);
    await approve(adminOne.key, id, { trust: 'trusted' }).expect(200);
    const lowered = await approve(adminTwo.key, id, { trust: 'untrusted' }).expect(400);
    expect(lowered.body.error.details).toEqual([
      expect.objectContaining({ code: 'trust_differs', path: '/trust' }),
    ]);
    expect((await invoke(id, 'ping')).status).toBe(409);
    const approved = await approve(adminTwo.key, id).query({ wait: 30 }).expect(200);
    expect(approved.body).toMatchObject({ status: 'approved', trust: 'trusted' });
    expect((await invoke(id, 'ping')).status).toBe(200);
  });

  it('counts an admin and the keys issued one by the other, through any number of keys, as one person', async () => {
    // Admin A issues admin A2, which issues a publisher key: A must not approve what it submits.
    const a = await issueKey(['admin']);
    const a2 = await issueKey(['admin'], undefined, a.key);
    const laundered = await issueKey(['publisher'], undefined, a2.key);
    const manifest = greetManifest({ permissions: HTTP });
    await submit(laundered.key, manifest).query({ wait: 30 }).expect(202);
    const refused = await approve(a.key, manifest.id).expect(403);
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({
        code: 'self_approval_forbidden',
        message: expect.stringMatching(/count as one person/),
      }),
    ]);
    expect((await invoke(manifest.id)).status).toBe(409);

    // A and A2 are not the two admins proc.exec needs, in either order.
    const id = await signedPending({ 'proc.exec': { binaries: ['/bin/echo'] } });
    await approve(a.key, id, { trust: 'trusted' }).expect(200);
    const second = await approve(a2.key, id).expect(403);
    expect(second.body.error.details).toEqual([
      expect.objectContaining({ code: 'second_approver_required' }),
    ]);
    expect((await invoke(id, 'ping')).status).toBe(409);
    await expectEventually(async () => {
      expect(await ofPlugin(manifest.id, 'plugin.approval_refused')).toEqual([
        expect.objectContaining({ actor: a.id, code: 'self_approval_forbidden' }),
      ]);
      expect(await ofPlugin(id, 'plugin.approval_refused')).toEqual([
        expect.objectContaining({ actor: a2.id, code: 'second_approver_required' }),
      ]);
    });

    // Bystanders: unrelated admins still approve both.
    await approve(adminOne.key, manifest.id).query({ wait: 30 }).expect(200);
    expect((await invoke(manifest.id)).status).toBe(200);
    await approve(adminTwo.key, id).query({ wait: 30 }).expect(200);
    expect((await invoke(id, 'ping')).status).toBe(200);
  });

  it('counts the keys one admin issued as one person: no admin mints the second approval', async () => {
    // Admin A issues two admin keys and a publisher key: siblings, one lineage.
    const a = await issueKey(['admin']);
    const [s1, s2, sibling] = await Promise.all([
      issueKey(['admin'], undefined, a.key),
      issueKey(['admin'], undefined, a.key),
      issueKey(['publisher'], undefined, a.key),
    ]);
    const manifest = greetManifest({ permissions: HTTP });
    await submit(sibling.key, manifest).query({ wait: 30 }).expect(202);
    const refused = await approve(s1.key, manifest.id).expect(403);
    expect(refused.body.error.details).toEqual([
      expect.objectContaining({
        code: 'self_approval_forbidden',
        message: expect.stringMatching(/share an issuance lineage/),
      }),
    ]);

    // S1 then S2 (or A) are not the two admins proc.exec needs.
    const id = await signedPending({ 'proc.exec': { binaries: ['/bin/echo'] } });
    await approve(s1.key, id, { trust: 'trusted' }).expect(200);
    for (const second of [s2, a])
      expect((await approve(second.key, id).expect(403)).body.error.details).toEqual([
        expect.objectContaining({ code: 'second_approver_required' }),
      ]);
    expect((await invoke(id, 'ping')).status).toBe(409);
    await expectEventually(async () => {
      expect(await ofPlugin(manifest.id, 'plugin.approval_refused')).toEqual([
        expect.objectContaining({ actor: s1.id, code: 'self_approval_forbidden' }),
      ]);
      expect(await ofPlugin(id, 'plugin.approval_refused')).toEqual([
        expect.objectContaining({ actor: s2.id, code: 'second_approver_required' }),
        expect.objectContaining({ actor: a.id, code: 'second_approver_required' }),
      ]);
    });

    // Bystanders: admins of other lineages still approve both.
    await approve(adminOne.key, manifest.id).query({ wait: 30 }).expect(200);
    expect((await invoke(manifest.id)).status).toBe(200);
    await approve(adminTwo.key, id).query({ wait: 30 }).expect(200);
    expect((await invoke(id, 'ping')).status).toBe(200);
  });
});

import {
  EventSubjects,
  RequestSubjects,
  type Manifest,
  type Permissions,
} from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest, expectEventually } from '@convergio/testing';
import { approvalPersistence, ApprovalModule } from '../index.js';

const SHA = 'a'.repeat(64);
const HTTP = { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET' as const] }] } };
const EXEC = { 'proc.exec': { binaries: ['/bin/echo'] } };
const SIGNED = { signer_id: 'acme', trust: 'trusted' as const, key_id: 'b'.repeat(64) };

/** Separation of duties on admin decisions, with the real database (PostgreSQL). */
describe('admin decisions under separation of duties', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...approvalPersistence,
      feature: ApprovalModule.register({ allowSelfApproval: false }),
    });
  });
  afterAll(() => h?.close());

  async function submitted(
    id: string,
    permissions: Permissions,
    submittedBy: string,
    manifest: Partial<Manifest> = {},
    issuer: string | null = 'issuing-admin',
  ) {
    await h.bus.publish(EventSubjects.PluginVerified, {
      plugin_id: id,
      version: '1.0.0',
      manifest: aManifest({ id, permissions, signing: { sha256: SHA }, ...manifest }),
      module_sha256: SHA,
      trust: 'untrusted',
      signed_by: SIGNED,
      high_risk_permissions: Object.keys(permissions),
      findings: [{ code: 'admin_required', message: 'net.http needs an admin' }],
      submitted_by: submittedBy,
      submitted_by_issuer: issuer,
      publisher: 'acme',
    });
    return expectEventually(async () => {
      const { items } = await h.bus.request(RequestSubjects.ApprovalListQueue, {
        status: 'pending',
        limit: 500,
      });
      const item = items.find((i) => i.plugin_id === id);
      if (!item) throw new Error(`${id} is not pending`);
      return item;
    });
  }
  const decide = (id: string, decidedBy: string, extra: object = {}) =>
    h.bus.request(RequestSubjects.ApprovalDecide, {
      plugin_id: id,
      version: '1.0.0',
      decision: 'approve',
      decided_by: decidedBy,
      ...extra,
    });
  const eventsOf = (type: string, id: string) =>
    h.events.filter((e) => e.type === type && (e.data as { plugin_id: string }).plugin_id === id);

  it('shows the submitter, publisher, findings, stated reasons and the approvals it needs in the queue', async () => {
    const reasons = { 'net.http': 'fetches forecasts from api.example.com' };
    expect(
      await submitted('sod.queue', HTTP, 'publisher-key', { permission_reasons: reasons }),
    ).toMatchObject({
      submitted_by: 'publisher-key',
      submitted_by_issuer: 'issuing-admin',
      publisher: 'acme',
      findings: [{ code: 'admin_required' }],
      permission_reasons: reasons,
      approvals_required: 1,
      approvals: [],
    });
  });

  it('refuses an admin approving their own submission, records the refusal, and lets another admin approve', async () => {
    await submitted('sod.self', HTTP, 'admin-key');
    await expect(decide('sod.self', 'admin-key')).rejects.toMatchObject({
      code: 'forbidden',
      details: [expect.objectContaining({ code: 'self_approval_forbidden' })],
    });
    const refused = await h.waitFor(
      EventSubjects.ApprovalRefused,
      (e) => e.data.plugin_id === 'sod.self',
    );
    expect(refused.data).toMatchObject({ actor: 'admin-key', code: 'self_approval_forbidden' });
    expect(eventsOf('plugin.approved', 'sod.self')).toEqual([]);

    expect(await decide('sod.self', 'bystander-key', { note: 'fine' })).toMatchObject({
      status: 'approved',
    });
    expect(
      (await h.waitFor(EventSubjects.PluginApproved, (e) => e.data.plugin_id === 'sod.self')).data,
    ).toMatchObject({ actor: 'bystander-key', approved_by: 'bystander-key', note: 'fine' });
  });

  // An admin who creates or rotates a publisher key holds its secret: submitting with it and
  // approving with their own key would be approving their own submission.
  it('refuses the admin who issued the submitting secret, records the refusal, and lets another admin approve', async () => {
    await submitted('sod.issuer', HTTP, 'publisher-key', {}, 'issuing-admin');
    await expect(decide('sod.issuer', 'issuing-admin')).rejects.toMatchObject({
      code: 'forbidden',
      details: [expect.objectContaining({ code: 'self_approval_forbidden' })],
    });
    const refused = await h.waitFor(
      EventSubjects.ApprovalRefused,
      (e) => e.data.plugin_id === 'sod.issuer',
    );
    expect(refused.data).toMatchObject({
      actor: 'issuing-admin',
      code: 'self_approval_forbidden',
      message: expect.stringContaining('issued the secret') as unknown,
    });
    expect(eventsOf('plugin.approved', 'sod.issuer')).toEqual([]);
    expect(await decide('sod.issuer', 'bystander-key')).toMatchObject({ status: 'approved' });
  });

  it('lets any other admin approve a version whose submitting secret has no known issuer (keys from before it was kept)', async () => {
    const item = await submitted('sod.old-event', HTTP, 'publisher-key', {}, null);
    expect(item.submitted_by_issuer).toBeNull();
    expect(await decide('sod.old-event', 'issuing-admin')).toMatchObject({ status: 'approved' });
  });

  it('refuses and records a self-approval whatever else the request asks for', async () => {
    await submitted('sod.sneaky', HTTP, 'admin-key');
    await expect(decide('sod.sneaky', 'admin-key', { trust: 'official' })).rejects.toMatchObject({
      code: 'forbidden',
      details: [expect.objectContaining({ code: 'self_approval_forbidden' })],
    });
    await h.waitFor(EventSubjects.ApprovalRefused, (e) => e.data.plugin_id === 'sod.sneaky');
  });

  it('refuses a key of the submitting publisher even when it is not the submitting key', async () => {
    await submitted('sod.publisher', HTTP, 'publisher-key');
    await expect(
      decide('sod.publisher', 'admin-publisher-key', { decided_by_publisher: 'acme' }),
    ).rejects.toMatchObject({
      details: [expect.objectContaining({ code: 'self_approval_forbidden' })],
    });
  });

  it('holds proc.exec until a second, different admin approves, refusing the first one twice', async () => {
    await submitted('sod.exec', EXEC, 'publisher-key');
    const first = await decide('sod.exec', 'admin-one', {
      trust: 'trusted',
      note: 'read the code',
    });
    expect(first).toMatchObject({
      status: 'pending',
      approvals_required: 2,
      approvals: [{ actor: 'admin-one', trust: 'trusted', note: 'read the code' }],
    });
    expect(
      (await h.waitFor(EventSubjects.ApprovalRecorded, (e) => e.data.plugin_id === 'sod.exec'))
        .data,
    ).toMatchObject({ actor: 'admin-one', approvals: 1, approvals_required: 2, trust: 'trusted' });
    expect(eventsOf('plugin.approved', 'sod.exec')).toEqual([]);

    await expect(decide('sod.exec', 'admin-one', { trust: 'trusted' })).rejects.toMatchObject({
      code: 'forbidden',
      details: [expect.objectContaining({ code: 'second_approver_required' })],
    });
    await h.waitFor(
      EventSubjects.ApprovalRefused,
      (e) => e.data.plugin_id === 'sod.exec' && e.data.code === 'second_approver_required',
    );
    await expect(decide('sod.exec', 'publisher-key')).rejects.toMatchObject({
      details: [expect.objectContaining({ code: 'self_approval_forbidden' })],
    });

    expect(await decide('sod.exec', 'admin-two')).toMatchObject({ status: 'approved' });
    expect(
      (await h.waitFor(EventSubjects.PluginApproved, (e) => e.data.plugin_id === 'sod.exec')).data,
    ).toMatchObject({
      trust: 'trusted',
      actor: 'admin-two',
      approvers: ['admin-one', 'admin-two'],
    });
  });

  // A compromised admin key records first approvals; it is revoked; a second admin approving
  // later must not complete a two-admin approval with the revoked key's half.
  it('withdraws the pending approvals of a revoked key: a second admin then only counts as the first', async () => {
    const rogue = '0a0a0a0a-0a0a-4a0a-8a0a-0a0a0a0a0a0a';
    const revoker = '0b0b0b0b-0b0b-4b0b-8b0b-0b0b0b0b0b0b';
    await submitted('sod.rogue', EXEC, 'publisher-key');
    await submitted('sod.rogue-bystander', EXEC, 'publisher-key');
    await decide('sod.rogue', rogue, { trust: 'trusted' });
    await decide('sod.rogue-bystander', 'admin-one', { trust: 'trusted' });
    await h.redeliver(
      await h.bus.publish(EventSubjects.ApiKeyRevoked, {
        key_id: rogue,
        name: 'rogue',
        actor: revoker,
      }),
    );
    expect(
      (await h.waitFor('plugin.approval_withdrawn', (e) => e.data.plugin_id === 'sod.rogue')).data,
    ).toEqual({ plugin_id: 'sod.rogue', version: '1.0.0', approver: rogue, actor: revoker });
    expect(await decide('sod.rogue', 'admin-two', { trust: 'trusted' })).toMatchObject({
      status: 'pending',
      approvals: [{ actor: 'admin-two' }],
    });
    expect(eventsOf('plugin.approved', 'sod.rogue')).toEqual([]);
    // The bystander's first approval was another key's: it stands.
    expect(await decide('sod.rogue-bystander', 'admin-two')).toMatchObject({
      status: 'approved',
    });
    expect(eventsOf('plugin.approval_withdrawn', 'sod.rogue-bystander')).toEqual([]);
  });

  it('holds a trust designation for a second admin, who cannot change the trust the first gave', async () => {
    await submitted('sod.trust', HTTP, 'publisher-key');
    expect(await decide('sod.trust', 'admin-one', { trust: 'trusted' })).toMatchObject({
      status: 'pending',
    });
    await expect(decide('sod.trust', 'admin-two', { trust: 'untrusted' })).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ code: 'trust_differs' })],
    });
    expect(await decide('sod.trust', 'admin-two')).toMatchObject({
      status: 'approved',
      trust: 'trusted',
    });
  });

  it('lets one admin reject a version waiting for its second approval', async () => {
    await submitted('sod.reject', EXEC, 'publisher-key');
    await decide('sod.reject', 'admin-one', { trust: 'trusted' });
    expect(
      await decide('sod.reject', 'admin-two', { decision: 'reject', note: 'no native code' }),
    ).toMatchObject({ status: 'rejected' });
    expect(
      (await h.waitFor(EventSubjects.PluginRejected, (e) => e.data.plugin_id === 'sod.reject'))
        .data,
    ).toMatchObject({ actor: 'admin-two', reasons: [{ message: 'no native code' }] });
  });
});

describe('admin decisions with APPROVAL_ALLOW_SELF_APPROVAL (single-user development)', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...approvalPersistence,
      feature: ApprovalModule.register({ allowSelfApproval: true }),
    });
  });
  afterAll(() => h?.close());

  it('lets the submitter approve, but still needs a second admin for proc.exec', async () => {
    const verified = (id: string, permissions: Permissions) =>
      h.bus.publish(EventSubjects.PluginVerified, {
        plugin_id: id,
        version: '1.0.0',
        manifest: aManifest({ id, permissions, signing: { sha256: SHA } }),
        module_sha256: SHA,
        trust: 'untrusted',
        signed_by: SIGNED,
        high_risk_permissions: Object.keys(permissions),
        findings: [],
        submitted_by: 'solo-key',
      });
    const decide = (id: string, extra: object = {}) =>
      expectEventually(() =>
        h.bus.request(RequestSubjects.ApprovalDecide, {
          plugin_id: id,
          version: '1.0.0',
          decision: 'approve',
          decided_by: 'solo-key',
          ...extra,
        }),
      );
    await verified('dev.http', HTTP);
    expect(await decide('dev.http')).toMatchObject({ status: 'approved' });
    await verified('dev.exec', EXEC);
    expect(await decide('dev.exec', { trust: 'trusted' })).toMatchObject({ status: 'pending' });
    await expect(
      h.bus.request(RequestSubjects.ApprovalDecide, {
        plugin_id: 'dev.exec',
        version: '1.0.0',
        decision: 'approve',
        decided_by: 'solo-key',
      }),
    ).rejects.toMatchObject({
      details: [expect.objectContaining({ code: 'second_approver_required' })],
    });
  });
});

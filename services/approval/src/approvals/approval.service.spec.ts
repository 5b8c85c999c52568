import { EventSubjects, RequestSubjects, type Permissions } from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest, expectEventually } from '@convergio/testing';
import { approvalPersistence, ApprovalModule } from '../index.js';

const SHA = 'a'.repeat(64);
const HTTP = { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET' as const] }] } };

const manifest = (id: string, version: string, permissions: Permissions) =>
  aManifest({ id, version, permissions, signing: { sha256: SHA } });

describe('approval service', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({
      ...approvalPersistence,
      feature: ApprovalModule.register({ allowSelfApproval: false }),
    });
  });
  afterAll(() => h?.close());

  async function verified(
    id: string,
    version: string,
    permissions: Permissions,
    signedBy?: { signer_id: string; trust: 'trusted' | 'official' },
  ) {
    const high = Object.keys(permissions).filter(
      (p) => p !== 'fs.read' && p !== 'ui.embed' && p !== 'telemetry.emit',
    );
    return h.bus.publish(EventSubjects.PluginVerified, {
      plugin_id: id,
      version,
      manifest: manifest(id, version, permissions),
      module_sha256: SHA,
      trust: 'untrusted',
      ...(signedBy && { signed_by: { ...signedBy, key_id: 'b'.repeat(64) } }),
      high_risk_permissions: high,
      findings: [],
      submitted_by: 'publisher-key',
      publisher: 'acme',
    });
  }
  const approvedEvent = (id: string, version: string) =>
    h.waitFor(
      EventSubjects.PluginApproved,
      (e) => e.data.plugin_id === id && e.data.version === version,
    );
  const pending = async () =>
    (await h.bus.request(RequestSubjects.ApprovalListQueue, { status: 'pending', limit: 500 }))
      .items;
  const decide = (id: string, version: string, decision: 'approve' | 'reject', extra = {}) =>
    h.bus.request(RequestSubjects.ApprovalDecide, {
      plugin_id: id,
      version,
      decision,
      decided_by: 'admin-key',
      ...extra,
    });
  /** Trust above untrusted and proc.exec take two different admins. */
  const approveByTwo = async (id: string, version: string, extra = {}) => {
    await decide(id, version, 'approve', extra);
    return decide(id, version, 'approve', { ...extra, decided_by: 'second-admin-key' });
  };

  it('approves a low-risk version by itself, never announcing a review', async () => {
    await verified('low.risk', '1.0.0', { 'fs.read': { paths: ['/data'] } });
    expect((await approvedEvent('low.risk', '1.0.0')).data.approved_by).toBe('auto');
    expect(h.events.filter((e) => e.type === 'plugin.approval_requested')).toEqual([]);
  });

  it('approves a low-risk upgrade asking for nothing more by itself, and holds one asking for more', async () => {
    await verified('low.risk', '1.1.0', {});
    expect((await approvedEvent('low.risk', '1.1.0')).data.approved_by).toBe('auto');
    await verified('low.risk', '1.2.0', { 'fs.read': { paths: ['/data', '/home'] } });
    expect(await expectQueued('low.risk', '1.2.0')).toMatchObject({
      high_risk_permissions: [],
      permission_diff: { added: ['fs.read'], changed: [], removed: [] },
    });
  });

  it('holds a high-risk version for an admin, who approves it once', async () => {
    await verified('high.risk', '1.0.0', HTTP);
    const item = await expectQueued('high.risk', '1.0.0');
    // The registry shows the version pending only once this announces the review.
    expect(
      (
        await h.waitFor(
          EventSubjects.ApprovalRequested,
          (e) => e.data.plugin_id === 'high.risk' && e.data.version === '1.0.0',
        )
      ).data.high_risk_permissions,
    ).toEqual(['net.http']);
    expect(item).toMatchObject({
      high_risk_permissions: ['net.http'],
      permission_diff: { added: ['net.http'], changed: [], removed: [] },
      previous_approved_version: null,
    });
    expect(
      h.events.some(
        (e) =>
          e.type === 'plugin.approved' &&
          (e.data as { plugin_id: string }).plugin_id === 'high.risk',
      ),
    ).toBe(false);

    await decide('high.risk', '1.0.0', 'approve', { note: 'looked at it' });
    expect((await approvedEvent('high.risk', '1.0.0')).data).toMatchObject({
      approved_by: 'admin-key',
      note: 'looked at it',
    });
    await expect(decide('high.risk', '1.0.0', 'approve')).rejects.toMatchObject({
      code: 'invalid_state',
    });
  });

  it('holds every high-risk version for an admin, even one asking for nothing more than the last approved', async () => {
    await verified('high.risk', '1.1.0', HTTP);
    expect(await expectQueued('high.risk', '1.1.0')).toMatchObject({
      previous_approved_version: '1.0.0',
      permission_diff: { added: [], changed: [], removed: [] },
    });
    await decide('high.risk', '1.1.0', 'approve');
    await approvedEvent('high.risk', '1.1.0');

    await verified('high.risk', '1.2.0', { ...HTTP, 'secrets.read': { ids: ['token'] } });
    expect(await expectQueued('high.risk', '1.2.0')).toMatchObject({
      previous_approved_version: '1.1.0',
      permission_diff: { added: ['secrets.read'], changed: [], removed: [] },
    });
  });

  it('records an admin rejection as plugin.rejected with the reason', async () => {
    await decide('high.risk', '1.2.0', 'reject', { note: 'no secrets for you' });
    const rejected = await h.waitFor(
      EventSubjects.PluginRejected,
      (e) => e.data.plugin_id === 'high.risk',
    );
    expect(rejected.data).toMatchObject({
      stage: 'approval',
      rejected_by: 'admin-key',
      reasons: [{ code: 'rejected_by_admin', message: 'no secrets for you' }],
    });
  });

  it('refuses to grant trust without a verified signature, and leaves the review pending', async () => {
    await verified('wants.trust', '1.0.0', HTTP);
    await expectQueued('wants.trust', '1.0.0');
    await expect(
      decide('wants.trust', '1.0.0', 'approve', { trust: 'trusted' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ code: 'trust_not_allowed' })],
    });
    expect(await expectQueued('wants.trust', '1.0.0')).toMatchObject({
      trust: 'untrusted',
      signed_by: null,
    });
  });

  it('designates a signed version trusted up to what its signer vouches for', async () => {
    await verified('signed.ok', '1.0.0', HTTP, { signer_id: 'acme', trust: 'trusted' });
    expect(await expectQueued('signed.ok', '1.0.0')).toMatchObject({
      signed_by: { signer_id: 'acme', trust: 'trusted' },
    });
    await expect(
      decide('signed.ok', '1.0.0', 'approve', { trust: 'official' }),
    ).rejects.toMatchObject({ details: [expect.objectContaining({ code: 'trust_not_allowed' })] });
    await approveByTwo('signed.ok', '1.0.0', { trust: 'trusted' });
    expect((await approvedEvent('signed.ok', '1.0.0')).data.trust).toBe('trusted');
  });

  it('keeps the trust of the last approved version for the next one by the same signer only', async () => {
    await verified('signed.ok', '1.1.0', HTTP, { signer_id: 'acme', trust: 'trusted' });
    expect(await expectQueued('signed.ok', '1.1.0')).toMatchObject({ trust: 'trusted' });
    await approveByTwo('signed.ok', '1.1.0');
    expect((await approvedEvent('signed.ok', '1.1.0')).data).toMatchObject({ trust: 'trusted' });
    await verified('signed.ok', '1.2.0', HTTP, { signer_id: 'other', trust: 'official' });
    expect(await expectQueued('signed.ok', '1.2.0')).toMatchObject({ trust: 'untrusted' });
  });

  it('refuses to approve a version another signer signed once a signed version is approved, until an admin accepts that signer', async () => {
    // Both verified before any approval: verification had no pin to check them against.
    await verified('pinned.race', '1.0.0', HTTP, { signer_id: 's1', trust: 'trusted' });
    await verified('pinned.race', '1.1.0', HTTP, { signer_id: 's2', trust: 'trusted' });
    await expectQueued('pinned.race', '1.1.0');
    await approveByTwo('pinned.race', '1.0.0', { trust: 'trusted' });
    await expect(
      decide('pinned.race', '1.1.0', 'approve', { trust: 'trusted' }),
    ).rejects.toMatchObject({ details: [expect.objectContaining({ code: 'signer_changed' })] });
    expect(await expectQueued('pinned.race', '1.1.0')).toMatchObject({ status: 'pending' });
    // A later version by s2 asking for nothing more is not approved by itself either.
    await verified('pinned.race', '1.2.0', HTTP, { signer_id: 's2', trust: 'trusted' });
    await expectQueued('pinned.race', '1.2.0');
    await h.bus.publish(EventSubjects.PluginSignerChanged, {
      plugin_id: 'pinned.race',
      from: 's1',
      to: 's2',
      changed_by: 'admin-key',
    });
    await expectEventually(() => decide('pinned.race', '1.1.0', 'approve', { trust: 'trusted' }));
    await decide('pinned.race', '1.1.0', 'approve', { decided_by: 'second-admin-key' });
    expect((await approvedEvent('pinned.race', '1.1.0')).data.trust).toBe('trusted');
  });

  it('never approves proc.exec untrusted: the admin must designate the signed version trusted', async () => {
    const exec = { 'proc.exec': { binaries: ['/bin/echo'] } };
    await verified('runs.native', '1.0.0', exec, { signer_id: 'acme', trust: 'trusted' });
    await expectQueued('runs.native', '1.0.0');
    await expect(decide('runs.native', '1.0.0', 'approve')).rejects.toMatchObject({
      details: [expect.objectContaining({ code: 'proc_exec_untrusted' })],
    });
    await approveByTwo('runs.native', '1.0.0', { trust: 'trusted' });
    expect((await approvedEvent('runs.native', '1.0.0')).data.trust).toBe('trusted');
  });

  it('stops using a revoked version as the baseline', async () => {
    await verified('revokes', '1.0.0', HTTP);
    await expectQueued('revokes', '1.0.0');
    await decide('revokes', '1.0.0', 'approve');
    await h.bus.publish(EventSubjects.PluginRevoked, {
      plugin_id: 'revokes',
      version: '1.0.0',
      revoked_by: 'admin-key',
    });
    await h.waitFor(EventSubjects.PluginRevoked);
    await expectEventually(async () => {
      const items = (
        await h.bus.request(RequestSubjects.ApprovalListQueue, { status: 'revoked', limit: 500 })
      ).items;
      expect(items.map((i) => `${i.plugin_id}@${i.version}`)).toEqual(['revokes@1.0.0']);
    });
    await verified('revokes', '1.1.0', HTTP);
    expect(await expectQueued('revokes', '1.1.0')).toMatchObject({
      previous_approved_version: null,
    });
  });

  // Revoked while verification ran: plugin.revoked reaches approval before plugin.verified.
  it.each([
    ['low-risk (approved by itself)', 'early-low', {}],
    ['high-risk (queued for an admin)', 'early-high', HTTP],
  ])(
    'never approves nor queues a %s version revoked before its verification',
    async (_what, id, permissions) => {
      await h.redeliver(
        await h.bus.publish(EventSubjects.PluginRevoked, {
          plugin_id: id,
          version: '1.0.0',
          revoked_by: 'admin-key',
        }),
      );
      await h.redeliver(await verified(id, '1.0.0', permissions));
      expect(
        h.events.filter(
          (e) =>
            e.type === EventSubjects.PluginApproved &&
            (e.data as { plugin_id: string }).plugin_id === id,
        ),
      ).toEqual([]);
      expect((await pending()).map((i) => i.plugin_id)).not.toContain(id);
      const revoked = await h.bus.request(RequestSubjects.ApprovalListQueue, {
        status: 'revoked',
        limit: 500,
      });
      expect(revoked.items.map((i) => i.plugin_id)).toContain(id);
      await expect(decide(id, '1.0.0', 'approve')).rejects.toMatchObject({ code: 'invalid_state' });
      // A bystander verified meanwhile is approved as usual.
      await verified(`${id}-bystander`, '1.0.0', {});
      await approvedEvent(`${id}-bystander`, '1.0.0');
    },
  );

  it('reviews a version rejected by an admin again when it is resubmitted with the same number', async () => {
    await verified('retried', '1.0.0', HTTP);
    await expectQueued('retried', '1.0.0');
    await decide('retried', '1.0.0', 'reject', { note: 'host too broad' });

    await verified('retried', '1.0.0', HTTP);

    expect(await expectQueued('retried', '1.0.0')).toMatchObject({
      status: 'pending',
      decided_by: null,
      note: null,
    });
    expect(await decide('retried', '1.0.0', 'approve')).toMatchObject({ status: 'approved' });
  });

  it('leaves a decided review alone when a stray plugin.verified names its version again', async () => {
    await verified('decided', '1.0.0', HTTP);
    await expectQueued('decided', '1.0.0');
    await decide('decided', '1.0.0', 'approve', { note: 'reviewed' });
    await approvedEvent('decided', '1.0.0');

    await verified('decided', '1.0.0', { ...HTTP, 'proc.exec': { binaries: ['/bin/sh'] } });
    await verified('other', '1.0.0', { 'fs.read': { paths: ['/data'] } });
    await approvedEvent('other', '1.0.0');

    const approved = (
      await h.bus.request(RequestSubjects.ApprovalListQueue, { status: 'approved', limit: 500 })
    ).items;
    expect(approved.find((i) => i.plugin_id === 'decided')).toMatchObject({
      note: 'reviewed',
      high_risk_permissions: ['net.http'],
    });
    expect((await pending()).map((i) => i.plugin_id)).not.toContain('decided');
  });

  async function expectQueued(id: string, version: string) {
    return expectEventually(async () => {
      const item = (await pending()).find((i) => i.plugin_id === id && i.version === version);
      if (!item) throw new Error(`${id}@${version} is not pending`);
      return item;
    });
  }
});

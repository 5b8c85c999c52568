import {
  encodePageCursor,
  EventSubjects,
  RequestSubjects,
  type Permissions,
  type ReplyMap,
} from '@convergio/contracts';
import { BusLimits } from '@convergio/messaging';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest, expectEventually, sha256Hex } from '@convergio/testing';
import { registryPersistence, RegistryModule } from '../index.js';

describe('registry service', () => {
  let h: ServiceHarness;
  const sha = sha256Hex(Buffer.from('module bytes'));

  beforeAll(async () => {
    h = await startServiceHarness({ ...registryPersistence, feature: RegistryModule });
  });
  afterAll(() => h?.close());

  /** Stages the module, as the gateway does, and asks the registry to record the submission. */
  const submit = async (
    id: string,
    version = '1.0.0',
    {
      publisher = 'acme',
      module = Buffer.from('module bytes'),
      permissions = { 'fs.read': { paths: ['/d'] } },
    }: { publisher?: string; module?: Buffer; permissions?: Permissions } = {},
  ) => {
    const staged = await h.artifacts.stage(module);
    return h.bus.request(RequestSubjects.RegistrySubmit, {
      manifest: {
        id,
        version,
        name: `Plugin ${id}`,
        permissions,
      },
      module_sha256: staged.sha256,
      module_size: staged.size,
      upload_id: staged.upload_id,
      submitted_by: 'publisher-key',
      publisher,
    });
  };
  const state = (id: string, version = '1.0.0') =>
    h.bus.request(RequestSubjects.RegistryGetVersion, { plugin_id: id, version });

  it('stores a submission and announces it', async () => {
    expect(await submit('r.one')).toEqual({
      plugin_id: 'r.one',
      version: '1.0.0',
      status: 'submitted',
    });
    const event = await h.waitFor(
      EventSubjects.PluginSubmitted,
      (e) => e.data.plugin_id === 'r.one',
    );
    expect(event.data).toMatchObject({
      module_sha256: sha,
      submitted_by: 'publisher-key',
      publisher: 'acme',
    });
    expect(await state('r.one')).toMatchObject({
      status: 'submitted',
      owner: 'acme',
      permissions: { 'fs.read': { paths: ['/d'] } },
      loaded: false,
    });
  });

  it('keeps the SBOM submitted with a version by its hash, and announces it', async () => {
    const sbom = Buffer.from('{"bomFormat":"CycloneDX"}');
    const [module, staged] = await Promise.all([
      h.artifacts.stage(Buffer.from('module bytes')),
      h.artifacts.stage(sbom),
    ]);
    await h.bus.request(RequestSubjects.RegistrySubmit, {
      manifest: { id: 'r.sbom', version: '1.0.0', name: 'With an SBOM' },
      module_sha256: module.sha256,
      module_size: module.size,
      upload_id: module.upload_id,
      sbom: { sha256: staged.sha256, size: staged.size, upload_id: staged.upload_id },
      submitted_by: 'publisher-key',
      publisher: 'acme',
    });
    const expected = { sha256: sha256Hex(sbom), size: sbom.length };
    expect(await state('r.sbom')).toMatchObject({ sbom: expected });
    expect(await h.artifacts.get(expected.sha256)).toEqual(new Uint8Array(sbom));
    const event = await h.waitFor(
      EventSubjects.PluginSubmitted,
      (e) => e.data.plugin_id === 'r.sbom',
    );
    expect(event.data.sbom).toEqual(expected);
    expect(await state('r.one')).toMatchObject({ sbom: null });
  });

  it('refuses a version submitted twice, and a module upload that was never staged', async () => {
    await expect(submit('r.one')).rejects.toMatchObject({ code: 'version_exists' });
    await expect(
      h.bus.request(RequestSubjects.RegistrySubmit, {
        manifest: { id: 'r.ghost', version: '1.0.0' },
        module_sha256: sha,
        module_size: 12,
        upload_id: 'c'.repeat(32),
        submitted_by: 'publisher-key',
        publisher: 'acme',
      }),
    ).rejects.toMatchObject({ code: 'bad_request' });
    await expect(state('r.ghost')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('moves a version forward through its lifecycle, never back', async () => {
    await submit('r.life');
    await h.bus.publish(EventSubjects.PluginApproved, {
      plugin_id: 'r.life',
      version: '1.0.0',
      manifest: aManifest({ id: 'r.life' }),
      module_sha256: sha,
      trust: 'untrusted',
      approved_by: 'auto',
    });
    await expectEventually(async () => expect((await state('r.life')).status).toBe('approved'));
    // A late plugin.verified must not take the version back to pending_approval.
    await h.bus.publish(EventSubjects.PluginVerified, {
      plugin_id: 'r.life',
      version: '1.0.0',
      manifest: aManifest({ id: 'r.life' }),
      module_sha256: sha,
      trust: 'untrusted',
      high_risk_permissions: ['net.http'],
      findings: [],
      submitted_by: 'publisher-key',
    });
    await expectEventually(async () =>
      expect(await state('r.life')).toMatchObject({ status: 'approved', loaded: false }),
    );
  });

  it('knows which executor replicas run a version: each loads and unloads on its own', async () => {
    const ref = { plugin_id: 'r.life', version: '1.0.0' };
    const loaded = (instance: string) =>
      h.bus.publish(EventSubjects.PluginLoaded, {
        ...ref,
        module_sha256: sha,
        instance,
        load_ms: 1,
        cached: false,
      });
    await loaded('executor-a');
    await loaded('executor-b');
    await expectEventually(async () =>
      expect(await state('r.life')).toMatchObject({
        loaded: true,
        loaded_on: ['executor-a', 'executor-b'],
      }),
    );
    await h.bus.publish(EventSubjects.PluginUnloaded, {
      ...ref,
      instance: 'executor-a',
      reason: 'idle',
    });
    await expectEventually(async () =>
      expect(await state('r.life')).toMatchObject({ loaded: true, loaded_on: ['executor-b'] }),
    );
  });

  it('says why the last load of a version failed, not a call that crashed, until a load succeeds', async () => {
    await submit('r.unloadable');
    const ref = { plugin_id: 'r.unloadable', version: '1.0.0' };
    const crashed = (fn: string, message: string) =>
      h.bus.publish(EventSubjects.PluginCrashed, {
        ...ref,
        function: fn,
        reason: 'trap',
        message,
        resources: { wall_ms: 0 },
      });
    await crashed('(load)', 'unreachable executed in the start function');
    await expectEventually(async () =>
      expect(await state('r.unloadable')).toMatchObject({
        loaded: false,
        load_failure: {
          reason: 'trap',
          message: 'unreachable executed in the start function',
          at: expect.any(String),
        },
      }),
    );
    await crashed('greet', 'a call trapped');
    await h.bus.publish(EventSubjects.PluginLoaded, {
      ...ref,
      module_sha256: sha,
      instance: 'executor-a',
      load_ms: 1,
      cached: false,
    });
    await expectEventually(async () =>
      expect(await state('r.unloadable')).toMatchObject({ loaded: true, load_failure: null }),
    );
  });

  it('shows the policy rules an approved version breaks, as the executor announced them, until it fits again', async () => {
    await submit('r.policy');
    const violation = {
      code: 'policy_violation',
      message: 'outside the roots',
      path: '/permissions/fs.read/paths/0',
      rule: 'filesystem.roots',
      value: '/d',
    };
    const checked = (violations: (typeof violation)[]) =>
      h.bus.publish(EventSubjects.PluginPolicyChecked, {
        plugin_id: 'r.policy',
        version: '1.0.0',
        instance: 'exec-1',
        violations,
      });
    await checked([violation]);
    await expectEventually(async () =>
      expect(await state('r.policy')).toMatchObject({ policy_violations: [violation] }),
    );
    await checked([]);
    await expectEventually(async () =>
      expect(await state('r.policy')).toMatchObject({ policy_violations: [] }),
    );
  });

  it('revokes once, announcing it and answering the revoked state', async () => {
    const before = await state('r.life');
    expect(before.loaded_on).toEqual(['executor-b']);
    const revoked = await h.bus.request(RequestSubjects.RegistryRevokeVersion, {
      plugin_id: 'r.life',
      version: '1.0.0',
      revoked_by: 'admin',
      reason: 'leak',
    });
    expect(revoked).toMatchObject({ status: 'revoked', loaded: false, loaded_on: [] });
    expect(Date.parse(revoked.updated_at)).toBeGreaterThan(Date.parse(before.updated_at));
    expect(await state('r.life')).toEqual(revoked);
    expect((await h.waitFor(EventSubjects.PluginRevoked)).data).toMatchObject({
      plugin_id: 'r.life',
      reason: 'leak',
    });
    await expectEventually(async () =>
      expect(await state('r.life')).toMatchObject({ loaded: false, loaded_on: [] }),
    );
    await expect(
      h.bus.request(RequestSubjects.RegistryRevokeVersion, {
        plugin_id: 'r.life',
        version: '1.0.0',
        revoked_by: 'admin',
      }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('refuses to revoke a rejected version, announcing nothing and leaving it rejected', async () => {
    await submit('r.refused');
    await h.bus.publish(EventSubjects.PluginRejected, {
      plugin_id: 'r.refused',
      version: '1.0.0',
      stage: 'verification',
      reasons: [{ code: 'module_hash_mismatch', message: 'wrong hash' }],
      rejected_by: 'verification',
    });
    await expectEventually(async () => expect((await state('r.refused')).status).toBe('rejected'));
    await expect(
      h.bus.request(RequestSubjects.RegistryRevokeVersion, {
        plugin_id: 'r.refused',
        version: '1.0.0',
        revoked_by: 'admin',
      }),
    ).rejects.toMatchObject({
      code: 'invalid_state',
      message: 'r.refused@1.0.0 is rejected: it never runs, there is nothing to revoke',
    });
    expect((await state('r.refused')).status).toBe('rejected');
    expect(
      h.events.filter(
        (e) =>
          e.type === EventSubjects.PluginRevoked &&
          (e.data as { plugin_id: string }).plugin_id === 'r.refused',
      ),
    ).toEqual([]);
  });

  it('revokes every version a revoked signer signed, once each, leaving the rest alone', async () => {
    await submit('r.signed');
    await submit('r.signed', '1.1.0');
    await submit('r.bystander');
    const seen = h.events.length;
    const versions = [
      { plugin_id: 'r.signed', version: '1.0.0' },
      { plugin_id: 'r.signed', version: '1.1.0' },
      { plugin_id: 'r.gone', version: '1.0.0' },
    ];
    const id = await h.bus.publish(EventSubjects.SignerRevoked, {
      signer_id: 'acme',
      revoked_by: 'admin',
      versions,
    });
    await expectEventually(async () => {
      expect((await state('r.signed')).status).toBe('revoked');
      expect((await state('r.signed', '1.1.0')).status).toBe('revoked');
    });
    expect((await state('r.bystander')).status).toBe('submitted');
    await h.redeliver(id);
    const revokedEvents = h.events
      .slice(seen)
      .filter((e) => e.type === EventSubjects.PluginRevoked)
      .map((e) => e.data);
    expect(revokedEvents).toEqual([
      expect.objectContaining({ plugin_id: 'r.signed', version: '1.0.0', revoked_by: 'admin' }),
      expect.objectContaining({
        plugin_id: 'r.signed',
        version: '1.1.0',
        reason: 'its signer acme was revoked',
      }),
    ]);
  });

  it('lists plugins with their owner and latest version', async () => {
    await submit('r.one', '1.1.0');
    const { plugins } = await h.bus.request(RequestSubjects.RegistryListPlugins, { limit: 500 });
    expect(plugins).toContainEqual(
      expect.objectContaining({
        plugin_id: 'r.one',
        owner: 'acme',
        serving_version: null,
        latest_version: '1.1.0',
        latest_status: 'submitted',
        name: 'Plugin r.one',
      }),
    );
    expect(
      (await h.bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: 'r.one' })).versions.map(
        (v) => v.version,
      ),
    ).toEqual(['1.1.0', '1.0.0']);
  });

  it('pages the plugin list by id with a cursor, each plugin once', async () => {
    for (let i = 0; i < 5; i++) await submit(`r.page-${i}`);
    const { plugins: all } = await h.bus.request(RequestSubjects.RegistryListPlugins, {
      limit: 500,
    });
    const ids = all.map((p) => p.plugin_id);
    expect([...ids].sort()).toEqual(ids);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await h.bus.request(RequestSubjects.RegistryListPlugins, { limit: 2, cursor });
      expect(page.plugins.length).toBeLessThanOrEqual(2);
      seen.push(...page.plugins.map((p) => p.plugin_id));
      cursor = page.next_cursor ?? undefined;
      pages++;
    } while (cursor !== undefined && pages < 50);
    expect(seen).toEqual(ids);
    expect(pages).toBe(Math.ceil(ids.length / 2));
  });

  it('refuses a cursor it did not hand out with validation_failed naming cursor', async () => {
    for (const cursor of ['bm9wZQ', encodePageCursor('approvals', ['r.one'])])
      await expect(
        h.bus.request(RequestSubjects.RegistryListPlugins, { limit: 2, cursor }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' })],
      });
  });

  /** Every page of one plugin's versions, `limit` at a time. */
  const versionPages = async (id: string, limit?: number) => {
    const pages: ReplyMap['registry.plugins.get'][] = [];
    let cursor: string | undefined;
    do {
      const p = await h.bus.request(RequestSubjects.RegistryGetPlugin, {
        plugin_id: id,
        limit,
        cursor,
      });
      pages.push(p);
      cursor = p.next_cursor ?? undefined;
    } while (cursor !== undefined && pages.length < 100);
    return pages;
  };

  it("pages one plugin's versions newest first, each once, serving the highest approved of all", async () => {
    for (let i = 0; i < 5; i++) await submit('r.versions', `1.${i}.0`);
    await h.bus.publish(EventSubjects.PluginApproved, {
      plugin_id: 'r.versions',
      version: '1.0.0',
      manifest: aManifest({ id: 'r.versions', version: '1.0.0' }),
      module_sha256: sha,
      trust: 'untrusted',
      approved_by: 'auto',
    });
    await expectEventually(async () => expect((await state('r.versions')).status).toBe('approved'));
    const pages = await versionPages('r.versions', 2);
    expect(pages.map((p) => p.versions.map((v) => v.version))).toEqual([
      ['1.4.0', '1.3.0'],
      ['1.2.0', '1.1.0'],
      ['1.0.0'],
    ]);
    // The version served is the oldest here, on the last page, and every page names it.
    expect(pages.map((p) => p.serving_version)).toEqual(['1.0.0', '1.0.0', '1.0.0']);
    expect(pages[2].next_cursor).toBeNull();
  });

  it('serves the highest approved release however approvals arrive, and the next once it is revoked', async () => {
    const versions = ['1.0.0', '1.2.0', '2.0.0-beta.1', '1.1.0'];
    for (const version of versions) await submit('r.serving', version);
    await Promise.all(
      versions.map((version) =>
        h.bus.publish(EventSubjects.PluginApproved, {
          plugin_id: 'r.serving',
          version,
          manifest: aManifest({ id: 'r.serving', version }),
          module_sha256: sha,
          trust: 'untrusted',
          approved_by: 'auto',
        }),
      ),
    );
    const served = async () => {
      const plugin = await h.bus.request(RequestSubjects.RegistryGetPlugin, {
        plugin_id: 'r.serving',
      });
      const { plugins } = await h.bus.request(RequestSubjects.RegistryListPlugins, {
        limit: 500,
      });
      const listed = plugins.find((p) => p.plugin_id === 'r.serving');
      return [plugin.serving_version, listed?.serving_version, listed?.latest_version];
    };
    await expectEventually(async () => expect(await served()).toEqual(['1.2.0', '1.2.0', '1.1.0']));
    await h.bus.request(RequestSubjects.RegistryRevokeVersion, {
      plugin_id: 'r.serving',
      version: '1.2.0',
      revoked_by: 'admin',
    });
    expect(await served()).toEqual(['1.1.0', '1.1.0', '1.1.0']);
  });

  it("cuts a plugin's versions by bytes so each page fits one bus message", async () => {
    const big = (tag: string): Permissions => ({
      'fs.read': {
        paths: Array.from({ length: 80 }, (_, i) => `/${tag}-${i}/${'p'.repeat(1000)}`),
      },
    });
    // Fourteen versions of about 80 KB: over one message in all.
    for (let i = 0; i < 14; i++) await submit('r.wide', `2.${i}.0`, { permissions: big(`v${i}`) });
    const { replyBudget, maxPayload } = h.app.get(BusLimits);
    const pages = await versionPages('r.wide');
    expect(pages.length).toBeGreaterThan(1);
    for (const p of pages) {
      expect(Buffer.byteLength(JSON.stringify(p.versions))).toBeLessThanOrEqual(replyBudget);
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThan(maxPayload);
    }
    expect(pages.flatMap((p) => p.versions.map((v) => v.version))).toEqual(
      Array.from({ length: 14 }, (_, i) => `2.${13 - i}.0`),
    );
  });

  it('refuses a versions cursor it did not hand out, and an unknown plugin, by code', async () => {
    for (const cursor of [
      'bm9wZQ',
      encodePageCursor('plugins', ['r.one']),
      encodePageCursor('versions', ['soon', '1.0.0']),
    ])
      await expect(
        h.bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: 'r.one', cursor }),
      ).rejects.toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' })],
      });
    await expect(
      h.bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: 'r.never' }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});

import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type EventSubject,
} from '@convergio/contracts';
import { startServiceHarness, type ServiceHarness } from '@convergio/service-testing';
import { aManifest, expectEventually, sha256Hex } from '@convergio/testing';
import { registryPersistence, RegistryModule } from '../index.js';

describe('registry submissions: owners and versions', () => {
  let h: ServiceHarness;

  beforeAll(async () => {
    h = await startServiceHarness({ ...registryPersistence, feature: RegistryModule });
  });
  afterAll(() => h?.close());

  const submit = async (
    id: string,
    version: string,
    publisher: string,
    module = Buffer.from(`module of ${id}@${version} by ${publisher}`),
  ) => {
    const staged = await h.artifacts.stage(module);
    return h.bus.request(RequestSubjects.RegistrySubmit, {
      manifest: { id, version, name: id },
      module_sha256: staged.sha256,
      module_size: staged.size,
      upload_id: staged.upload_id,
      submitted_by: `key-of-${publisher}`,
      submitted_by_issuer: `admin-of-${publisher}`,
      publisher,
    });
  };
  const state = (id: string, version: string) =>
    h.bus.request(RequestSubjects.RegistryGetVersion, { plugin_id: id, version });
  const plugin = (id: string) =>
    h.bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: id });
  const decide = async (id: string, version: string, outcome: 'approved' | 'rejected') => {
    const ref = { plugin_id: id, version };
    if (outcome === 'approved')
      await h.bus.publish(EventSubjects.PluginApproved, {
        ...ref,
        manifest: aManifest({ id, version }),
        module_sha256: 'a'.repeat(64),
        trust: 'untrusted',
        approved_by: 'auto',
      });
    else
      await h.bus.publish(EventSubjects.PluginRejected, {
        ...ref,
        stage: 'verification',
        reasons: [{ code: 'module_hash_mismatch', message: 'wrong hash' }],
        rejected_by: 'verification',
      });
    await expectEventually(async () => expect((await state(id, version)).status).toBe(outcome));
  };
  const ofPlugin = <S extends EventSubject>(subject: S, id: string) =>
    h.events.filter(
      (e): e is EventEnvelope<S> =>
        e.type === subject && (e.data as { plugin_id?: string }).plugin_id === id,
    );
  const refusals = (id: string) => ofPlugin(EventSubjects.SubmissionRefused, id);
  const submittedEvents = (id: string) => ofPlugin(EventSubjects.PluginSubmitted, id);

  it('refuses a version semver cannot order, naming /version and the bound, and records nothing', async () => {
    await expect(submit('o.huge', '100000000000000000000.0.0', 'acme')).rejects.toMatchObject({
      code: 'validation_failed',
      details: [
        {
          code: 'semver',
          path: '/version',
          message: expect.stringContaining('each number at most 9007199254740991'),
        },
      ],
    });
    await expect(plugin('o.huge')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('gives an id to the publisher of its first accepted submission', async () => {
    await submit('o.claimed', '1.0.0', 'acme');
    expect(await plugin('o.claimed')).toMatchObject({ owner: 'acme', serving_version: null });
    // Who submitted, and who issued the secret that did, travel on to verification and approval.
    await expectEventually(() =>
      expect(submittedEvents('o.claimed').map((e) => e.data)).toEqual([
        expect.objectContaining({
          submitted_by: 'key-of-acme',
          submitted_by_issuer: 'admin-of-acme',
          publisher: 'acme',
        }),
      ]),
    );
    await submit('o.claimed', '1.1.0', 'acme');
  });

  it("refuses another publisher's submission as not_owner, storing nothing and recording the refusal", async () => {
    await submit('o.hijack', '2.0.0', 'acme');
    const evil = Buffer.from('a different module');

    await expect(submit('o.hijack', '1.0.0', 'mallory', evil)).rejects.toMatchObject({
      code: 'not_owner',
    });

    await expect(state('o.hijack', '1.0.0')).rejects.toMatchObject({ code: 'not_found' });
    expect(await h.artifacts.has(sha256Hex(evil))).toBe(false);
    expect(submittedEvents('o.hijack').map((e) => e.data.version)).toEqual(['2.0.0']);
    await expectEventually(() =>
      expect(refusals('o.hijack').map((e) => e.data)).toEqual([
        {
          plugin_id: 'o.hijack',
          version: '1.0.0',
          publisher: 'mallory',
          submitted_by: 'key-of-mallory',
          code: 'not_owner',
          message: expect.stringContaining('another publisher'),
        },
      ]),
    );
    expect((await plugin('o.hijack')).owner).toBe('acme');
  });

  it('lets only one of two publishers racing for a new id claim it', async () => {
    const results = await Promise.allSettled([
      submit('o.race', '1.0.0', 'acme'),
      submit('o.race', '1.0.0', 'mallory'),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused?.reason).toMatchObject({ code: 'not_owner' });
    expect((await plugin('o.race')).versions).toHaveLength(1);
  });

  it('refuses a rollback below an approved version and a version that exists, recording both', async () => {
    await submit('o.versions', '2.0.0', 'acme');
    await decide('o.versions', '2.0.0', 'approved');
    await submit('o.versions', '2.1.0', 'acme');

    await expect(submit('o.versions', '1.9.0', 'acme')).rejects.toMatchObject({
      code: 'version_not_increasing',
    });
    await expect(submit('o.versions', '2.1.0', 'acme')).rejects.toMatchObject({
      code: 'version_exists',
    });
    await expect(submit('o.versions', '2.0.0', 'acme')).rejects.toMatchObject({
      code: 'version_exists',
    });
    await expectEventually(() =>
      expect(refusals('o.versions').map((e) => [e.data.version, e.data.code])).toEqual([
        ['1.9.0', 'version_not_increasing'],
        ['2.1.0', 'version_exists'],
        ['2.0.0', 'version_exists'],
      ]),
    );
    expect((await plugin('o.versions')).versions.map((v) => v.version)).toEqual(['2.1.0', '2.0.0']);
  });

  it('still refuses a rollback once the approved version is revoked', async () => {
    await submit('o.revoked', '3.0.0', 'acme');
    await decide('o.revoked', '3.0.0', 'approved');
    await h.bus.request(RequestSubjects.RegistryRevokeVersion, {
      plugin_id: 'o.revoked',
      version: '3.0.0',
      revoked_by: 'admin',
    });

    await expect(submit('o.revoked', '2.9.0', 'acme')).rejects.toMatchObject({
      code: 'version_not_increasing',
    });
  });

  it('replaces a rejected version submitted again with the same number', async () => {
    const first = Buffer.from('first try');
    const second = Buffer.from('second try');
    await submit('o.retry', '1.0.0', 'acme', first);
    await decide('o.retry', '1.0.0', 'rejected');
    const before = await state('o.retry', '1.0.0');
    expect(before.findings).toHaveLength(1);

    expect(await submit('o.retry', '1.0.0', 'acme', second)).toMatchObject({
      status: 'submitted',
    });

    const after = await state('o.retry', '1.0.0');
    expect(after).toMatchObject({
      status: 'submitted',
      module_sha256: sha256Hex(second),
      findings: [],
      trust: null,
    });
    expect(Date.parse(after.submitted_at)).toBeGreaterThan(Date.parse(before.submitted_at));
    expect(submittedEvents('o.retry').map((e) => e.data.module_sha256)).toEqual([
      sha256Hex(first),
      sha256Hex(second),
    ]);
    await decide('o.retry', '1.0.0', 'approved');
  });

  it('shows the serving version apart from the latest submission', async () => {
    await submit('o.serving', '1.0.0', 'acme');
    await decide('o.serving', '1.0.0', 'approved');
    await submit('o.serving', '1.1.0', 'acme');
    await decide('o.serving', '1.1.0', 'rejected');

    const { plugins } = await h.bus.request(RequestSubjects.RegistryListPlugins, { limit: 500 });
    expect(plugins.find((p) => p.plugin_id === 'o.serving')).toMatchObject({
      owner: 'acme',
      serving_version: '1.0.0',
      latest_version: '1.1.0',
      latest_status: 'rejected',
    });
    expect(await plugin('o.serving')).toMatchObject({ serving_version: '1.0.0' });
  });

  it('lets an admin transfer an id: the new owner submits, the old one is refused', async () => {
    await submit('o.transfer', '1.0.0', 'acme');

    expect(
      await h.bus.request(RequestSubjects.RegistryTransferOwner, {
        plugin_id: 'o.transfer',
        publisher: 'globex',
        changed_by: 'admin-key',
      }),
    ).toEqual({ plugin_id: 'o.transfer', owner: 'globex', previous_owner: 'acme' });

    const changed = await h.waitFor(
      EventSubjects.PluginOwnerChanged,
      (e) => e.data.plugin_id === 'o.transfer',
    );
    expect(changed.data).toEqual({
      plugin_id: 'o.transfer',
      from: 'acme',
      to: 'globex',
      changed_by: 'admin-key',
      actor: 'admin-key',
    });
    await submit('o.transfer', '1.1.0', 'globex');
    await expect(submit('o.transfer', '1.2.0', 'acme')).rejects.toMatchObject({
      code: 'not_owner',
    });
    expect((await state('o.transfer', '1.1.0')).owner).toBe('globex');
  });

  it('refuses to transfer an unknown id', async () => {
    await expect(
      h.bus.request(RequestSubjects.RegistryTransferOwner, {
        plugin_id: 'o.nobody',
        publisher: 'globex',
        changed_by: 'admin-key',
      }),
    ).rejects.toMatchObject({ code: 'not_found' });
  });
});

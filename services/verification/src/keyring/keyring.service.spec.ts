import { jest } from '@jest/globals';
import { DomainError, EventSubjects, type Manifest } from '@convergio/contracts';
import type { ServiceHarness } from '@convergio/service-testing';
import { encodeBase64url, generateSignerKeys, signManifest } from '@convergio/signing';
import { aManifest, exampleModule, expectEventually, sha256Hex } from '@convergio/testing';
import { keyIdOf } from '@convergio/manifest';
import { codesOf, startVerification, verdictOn } from '../verification.spec-helper.js';
import { KeyringService } from './keyring.service.js';

const release = generateSignerKeys();
const acme = generateSignerKeys();
const acmeNext = generateSignerKeys();
const other = generateSignerKeys();
const b64 = encodeBase64url;
/** The identity point: with ZIP-215 verification any message verifies under it. */
const IDENTITY_KEY = b64(Uint8Array.from([1, ...new Array<number>(31).fill(0)]));

describe('keyring', () => {
  let h: ServiceHarness;
  const greet = exampleModule('greet.wasm');
  let version = 0;

  beforeAll(async () => {
    h = await startVerification({
      releaseKey: {
        signerId: 'convergio-release',
        publicKey: b64(release.publicKey),
        asSigner: {
          id: 'convergio-release',
          public_key: b64(release.publicKey),
          trust: 'official',
        },
      },
    });
    await h.artifacts.put(greet);
  });
  afterAll(() => h?.close());

  const sign = (id: string, secretKey: Uint8Array, signer: string, extra: Partial<Manifest> = {}) =>
    signManifest(
      aManifest({ id, version: `1.0.${version++}`, ...extra }, greet),
      greet,
      secretKey,
      signer,
    );

  const verdict = (m: Manifest) => verdictOn(h, m, greet);

  const add = (id: string, key: Uint8Array, trust: 'trusted' | 'official' = 'trusted') =>
    h.bus.request('verification.signers.add', {
      id,
      public_key: b64(key),
      trust,
      added_by: 'admin-1',
    });

  it('holds the operator release key as an official signer from boot', async () => {
    const { signers } = await h.bus.request('verification.signers.list', { limit: 500 });
    expect(signers).toEqual([
      expect.objectContaining({
        id: 'convergio-release',
        trust: 'official',
        status: 'active',
        added_by: 'operator',
        keys: [expect.objectContaining({ key_id: keyIdOf(release.publicKey), rotated_at: null })],
      }),
    ]);
    const official = await verdict(sign('t.official', release.secretKey, 'convergio-release'));
    expect(official.data).toMatchObject({
      trust: 'untrusted',
      signed_by: { signer_id: 'convergio-release', trust: 'official' },
    });
  });

  it('adds a signer, announces it, and verifies what it signs', async () => {
    const item = await add('acme', acme.publicKey);
    expect(item).toMatchObject({
      id: 'acme',
      trust: 'trusted',
      status: 'active',
      added_by: 'admin-1',
    });
    expect(h.events).toContainEqual(
      expect.objectContaining({
        type: 'signer.added',
        data: {
          signer_id: 'acme',
          trust: 'trusted',
          key_id: keyIdOf(acme.publicKey),
          added_by: 'admin-1',
          actor: 'admin-1',
        },
      }),
    );
    const verified = await verdict(sign('t.acme', acme.secretKey, 'acme'));
    expect(verified.data).toMatchObject({
      signed_by: { signer_id: 'acme', key_id: keyIdOf(acme.publicKey), trust: 'trusted' },
    });
  });

  it.each([
    ['the identity key', IDENTITY_KEY, 'signer_key_small_order'],
    [
      'a key that is no curve point',
      b64(Uint8Array.from([2, ...new Array<number>(31).fill(0xff)])),
      'signer_key_invalid',
    ],
  ])('refuses %s with its code, adding nothing', async (_what, publicKey, code) => {
    const before = h.events.length;
    const refusal = await h.bus
      .request('verification.signers.add', {
        id: 'evil',
        public_key: publicKey,
        trust: 'trusted',
        added_by: 'a',
      })
      .catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DomainError);
    expect(refusal).toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ code })],
    });
    expect(h.events.slice(before).map((e) => e.type)).not.toContain('signer.added');
    const { signers } = await h.bus.request('verification.signers.list', { limit: 500 });
    expect(signers.map((s) => s.id)).not.toContain('evil');
  });

  it('refuses a second signer of the same id or with a key already in the keyring', async () => {
    await expect(add('acme', other.publicKey)).rejects.toMatchObject({ code: 'conflict' });
    await expect(add('acme-copy', acme.publicKey)).rejects.toMatchObject({ code: 'conflict' });
  });

  it('rejects what an unknown signer signs', async () => {
    expect(codesOf(await verdict(sign('t.nobody', other.secretKey, 'nobody')))).toEqual([
      'signer_unknown',
    ]);
  });

  it('rotates: the new key signs from now on, the old one only keeps what it signed before', async () => {
    const before = sign('t.rotation', acme.secretKey, 'acme');
    expect((await verdict(before)).type).toBe(EventSubjects.PluginVerified);
    const item = await h.bus.request('verification.signers.rotate', {
      id: 'acme',
      public_key: b64(acmeNext.publicKey),
      rotated_by: 'admin-1',
    });
    expect(item.keys.map((k) => [k.key_id, k.rotated_at === null])).toEqual([
      [keyIdOf(acmeNext.publicKey), true],
      [keyIdOf(acme.publicKey), false],
    ]);
    expect(h.events).toContainEqual(
      expect.objectContaining({
        type: 'signer.rotated',
        data: expect.objectContaining({
          previous_key_id: keyIdOf(acme.publicKey),
          actor: 'admin-1',
        }),
      }),
    );
    expect(codesOf(await verdict(sign('t.rotation', acme.secretKey, 'acme')))).toEqual([
      'signer_key_rotated',
    ]);
    expect((await verdict(before)).type).toBe(EventSubjects.PluginVerified);
    expect((await verdict(sign('t.rotation', acmeNext.secretKey, 'acme'))).type).toBe(
      EventSubjects.PluginVerified,
    );
  });

  it('keeps a plugin id to the signer of its approved version until an admin accepts another', async () => {
    await add('other', other.publicKey);
    const first = sign('t.pinned', acmeNext.secretKey, 'acme');
    await verdict(first);
    await h.bus.publish(EventSubjects.PluginApproved, {
      plugin_id: 't.pinned',
      version: first.version,
      manifest: first,
      module_sha256: sha256Hex(greet),
      trust: 'trusted',
      approved_by: 'admin-1',
    });
    await expectEventually(async () =>
      expect(codesOf(await verdict(sign('t.pinned', other.secretKey, 'other')))).toEqual([
        'signer_changed',
      ]),
    );
    expect(codesOf(await verdict(aManifest({ id: 't.pinned', version: '9.0.0' }, greet)))).toEqual([
      'signer_changed',
    ]);
    const changed = await h.bus.request('verification.plugins.signer', {
      plugin_id: 't.pinned',
      signer_id: 'other',
      changed_by: 'admin-1',
    });
    expect(changed).toEqual({
      plugin_id: 't.pinned',
      signer_id: 'other',
      previous_signer_id: 'acme',
    });
    expect(h.events).toContainEqual(
      expect.objectContaining({
        type: 'plugin.signer_changed',
        data: expect.objectContaining({ from: 'acme', to: 'other', actor: 'admin-1' }),
      }),
    );
    expect((await verdict(sign('t.pinned', other.secretKey, 'other'))).type).toBe(
      EventSubjects.PluginVerified,
    );
  });

  it("holds an id's first version to a signer accepted before it, saying so", async () => {
    await add('first-signer', generateSignerKeys().publicKey);
    await h.bus.request('verification.plugins.signer', {
      plugin_id: 't.prebound',
      signer_id: 'first-signer',
      changed_by: 'admin-1',
    });
    const refused = await verdict(aManifest({ id: 't.prebound' }, greet));
    expect(codesOf(refused)).toEqual(['signer_changed']);
    expect(JSON.stringify(refused.data)).toContain(
      'versions of t.prebound must be signed by first-signer (the signer of its approved versions, or the one an admin accepted for it), this one is unsigned',
    );
  });

  it('revokes a signer: later submissions refused, every version it signed listed for revocation', async () => {
    const doomed = generateSignerKeys();
    await add('doomed', doomed.publicKey);
    const signed = sign('t.doomed', doomed.secretKey, 'doomed');
    expect((await verdict(signed)).type).toBe(EventSubjects.PluginVerified);
    const reply = await h.bus.request('verification.signers.revoke', {
      id: 'doomed',
      revoked_by: 'admin-1',
    });
    expect(reply).toMatchObject({
      signer: { id: 'doomed', status: 'revoked', revoked_by: 'admin-1' },
      revoked_versions: [{ plugin_id: 't.doomed', version: signed.version }],
    });
    expect(h.events).toContainEqual(
      expect.objectContaining({
        type: 'signer.revoked',
        data: {
          signer_id: 'doomed',
          revoked_by: 'admin-1',
          actor: 'admin-1',
          versions: [{ plugin_id: 't.doomed', version: signed.version }],
        },
      }),
    );
    expect(codesOf(await verdict(sign('t.doomed', doomed.secretKey, 'doomed')))).toEqual([
      'signer_revoked',
    ]);
    await expect(
      h.bus.request('verification.signers.rotate', {
        id: 'doomed',
        public_key: b64(generateSignerKeys().publicKey),
        rotated_by: 'a',
      }),
    ).rejects.toMatchObject({ code: 'invalid_state' });
  });

  it('refuses a version whose signer is revoked while its checks run (no revoked signer verifies late)', async () => {
    const racing = generateSignerKeys();
    await add('racing', racing.publicKey);
    const keyring = h.app.get(KeyringService);
    const snapshot = keyring.snapshot.bind(keyring);
    const spy = jest.spyOn(keyring, 'snapshot').mockImplementationOnce(async (raw) => {
      const taken = await snapshot(raw);
      await h.bus.request('verification.signers.revoke', { id: 'racing', revoked_by: 'admin-1' });
      return taken;
    });
    const result = await verdict(sign('t.racing', racing.secretKey, 'racing'));
    spy.mockRestore();
    expect(codesOf(result)).toEqual(['signer_revoked']);
  });

  it('refuses a version whose signing key is rotated out while its checks run', async () => {
    const turning = generateSignerKeys();
    await add('turning', turning.publicKey);
    const keyring = h.app.get(KeyringService);
    const snapshot = keyring.snapshot.bind(keyring);
    const spy = jest.spyOn(keyring, 'snapshot').mockImplementationOnce(async (raw) => {
      const taken = await snapshot(raw);
      await h.bus.request('verification.signers.rotate', {
        id: 'turning',
        public_key: b64(generateSignerKeys().publicKey),
        rotated_by: 'admin-1',
      });
      return taken;
    });
    const result = await verdict(sign('t.turning', turning.secretKey, 'turning'));
    spy.mockRestore();
    expect(codesOf(result)).toEqual(['signer_key_rotated']);
  });

  it('does not recompute a resubmission of the same bytes', async () => {
    const m = sign('t.cached', acmeNext.secretKey, 'acme');
    await verdict(m);
    const reads = jest.spyOn(h.artifacts, 'get');
    expect((await verdict({ ...m })).type).toBe(EventSubjects.PluginVerified);
    expect(reads).not.toHaveBeenCalled();
  });

  it('pages the keyring by signer id with a cursor, each signer once with its keys', async () => {
    for (let i = 0; i < 3; i++) await add(`page-${i}`, generateSignerKeys().publicKey);
    await h.bus.request('verification.signers.rotate', {
      id: 'page-1',
      public_key: b64(generateSignerKeys().publicKey),
      rotated_by: 'admin-1',
    });
    const { signers: all } = await h.bus.request('verification.signers.list', { limit: 500 });
    const seen: typeof all = [];
    let cursor: string | undefined;
    do {
      const page = await h.bus.request('verification.signers.list', { limit: 2, cursor });
      expect(page.signers.length).toBeLessThanOrEqual(2);
      seen.push(...page.signers);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined && seen.length <= all.length);
    expect(seen).toEqual(all);
    expect(seen.find((s) => s.id === 'page-1')?.keys).toHaveLength(2);
    await expect(
      h.bus.request('verification.signers.list', { limit: 2, cursor: 'Zm9yZ2Vk' }),
    ).rejects.toMatchObject({
      code: 'validation_failed',
      details: [expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' })],
    });
  });
});

import type { Manifest } from '@convergio/contracts';
import { DEFAULT_GRANT_POLICY } from '@convergio/policy/grant';
import { generateSignerKeys, signManifest } from '@convergio/signing';
import { aManifest, exampleModule } from '@convergio/testing';
import { CheckCache } from './check-cache.js';
import { checkSubmission, type StoredModule, type SubmissionContext } from './check-submission.js';
import { keyIdOf, type Keyring, type KeyringSigner } from './keyring.js';
import { corpusSubmissionContext } from './testing/index.js';

const greet = exampleModule('greet.wasm');
const acme = generateSignerKeys();
const acmeOld = generateSignerKeys();
const other = generateSignerKeys();

function keyring(
  signers: KeyringSigner[],
  pins: Record<string, string> = {},
  before: string[] = [],
): Keyring {
  return {
    signer: (id) => signers.find((s) => s.id === id),
    pinnedSigner: (pluginId) => pins[pluginId],
    signedBeforeRotation: (keyId, digest) => before.includes(`${keyId}:${digest}`),
  };
}

const key = (publicKey: Uint8Array, rotatedAt: Date | null = null) => ({
  keyId: keyIdOf(publicKey),
  publicKey,
  rotatedAt,
});
const acmeSigner: KeyringSigner = {
  id: 'acme',
  trust: 'trusted',
  revoked: false,
  keys: [key(acme.publicKey), key(acmeOld.publicKey, new Date('2026-11-01T00:00:00Z'))],
};

const contextWith = (ring: Keyring, extra: Partial<SubmissionContext> = {}): SubmissionContext => ({
  ...corpusSubmissionContext(ring),
  coreVersion: '1.4.0',
  ...extra,
});

const signed = (overrides: Partial<Manifest> = {}, secretKey = acme.secretKey, signer = 'acme') =>
  signManifest(aManifest({ min_core_version: '1.0.0', ...overrides }), greet, secretKey, signer);

const codes = async (raw: unknown, ring: Keyring, module: Uint8Array = greet) =>
  (await checkSubmission(raw, module, contextWith(ring))).findings.map((f) => f.code);

describe('checkSubmission: signature and trust', () => {
  it('accepts a manifest signed by a keyring signer and names the signer and key', async () => {
    const result = await checkSubmission(signed(), greet, contextWith(keyring([acmeSigner])));
    expect(result).toMatchObject({
      ok: true,
      signature: { signerId: 'acme', keyId: keyIdOf(acme.publicKey), trust: 'trusted' },
      manifestDigest: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('gives an unsigned manifest no signer and no finding', async () => {
    const result = await checkSubmission(
      aManifest({ min_core_version: '1.0.0' }, greet),
      greet,
      contextWith(keyring([acmeSigner])),
    );
    expect(result).toMatchObject({ ok: true, signature: null });
  });

  it.each([
    [
      'permissions widened',
      (m: Manifest) => ({ ...m, permissions: { 'fs.read': { paths: ['$PLUGIN_DIR'] } } }),
    ],
    ['limits raised', (m: Manifest) => ({ ...m, limits: { fuel: 10_000_000 } })],
    [
      'a tool described otherwise',
      (m: Manifest) => ({
        ...m,
        capabilities: { tools: m.capabilities.tools!.map((t) => ({ ...t, description: 'x' })) },
      }),
    ],
    ['version bumped', (m: Manifest) => ({ ...m, version: '9.9.9' })],
  ])('refuses a manifest changed after signing (%s): signature_invalid', async (_what, change) => {
    expect(await codes(change(signed()), keyring([acmeSigner]))).toEqual(['signature_invalid']);
  });

  it('refuses a module swapped after signing once, as module_hash_mismatch', async () => {
    const notes = exampleModule('fixtures.wasm');
    const found = await codes(signed(), keyring([acmeSigner]), notes);
    expect(found.filter((c) => c === 'module_hash_mismatch')).toHaveLength(1);
    expect(found).not.toContain('signature_invalid');
  });

  it('refuses a signer the keyring does not hold, a revoked one, and another signer key', async () => {
    expect(await codes(signed(), keyring([]))).toEqual(['signer_unknown']);
    expect(await codes(signed(), keyring([{ ...acmeSigner, revoked: true }]))).toEqual([
      'signer_revoked',
    ]);
    expect(await codes(signed({}, other.secretKey), keyring([acmeSigner]))).toEqual([
      'signature_invalid',
    ]);
  });

  it('refuses what a rotated-out key signs, unless that manifest was verified under it before', async () => {
    const old = signed({}, acmeOld.secretKey);
    expect(await codes(old, keyring([acmeSigner]))).toEqual(['signer_key_rotated']);
    const first = await checkSubmission(
      old,
      greet,
      contextWith(keyring([{ ...acmeSigner, keys: [key(acmeOld.publicKey)] }])),
    );
    expect(first.ok).toBe(true);
    const digest = first.ok ? first.manifestDigest : '';
    const before = keyring([acmeSigner], {}, [`${keyIdOf(acmeOld.publicKey)}:${digest}`]);
    expect(await codes(old, before)).toEqual([]);
  });

  it('refuses proc.exec unless a keyring signer signed the plugin', async () => {
    const policy = { ...DEFAULT_GRANT_POLICY, permissions: { denied: [], admin_required: [] } };
    const asks = { permissions: { 'proc.exec': { binaries: ['/bin/echo'] } } };
    const unsigned = aManifest({ min_core_version: '1.0.0', ...asks }, greet);
    const check = (m: unknown) =>
      checkSubmission(m, greet, contextWith(keyring([acmeSigner]), { policy }));
    expect((await check(unsigned)).findings.map((f) => f.code)).toEqual(['proc_exec_untrusted']);
    expect(await check(signed(asks))).toMatchObject({ ok: true, signature: { signerId: 'acme' } });
  });

  it('keeps a plugin id to the signer of its approved versions: signer_changed otherwise', async () => {
    const pinned = { 'example.greet': 'acme' };
    const otherSigner: KeyringSigner = {
      id: 'other',
      trust: 'trusted',
      revoked: false,
      keys: [key(other.publicKey)],
    };
    const ring = keyring([acmeSigner, otherSigner], pinned);
    expect(await codes(signed({}, other.secretKey, 'other'), ring)).toEqual(['signer_changed']);
    expect(await codes(aManifest({ min_core_version: '1.0.0' }, greet), ring)).toEqual([
      'signer_changed',
    ]);
    expect(await codes(signed(), ring)).toEqual([]);
  });

  it('reports every step that fails, in order', async () => {
    const m = signed(
      { min_core_version: '9.0.0', permissions: { 'proc.exec': { binaries: ['/bin/sh'] } } },
      other.secretKey,
    );
    expect(await codes(m, keyring([acmeSigner]), exampleModule('fixtures.wasm'))).toEqual([
      'module_hash_mismatch',
      'function_missing',
      'signature_invalid',
      'proc_exec_untrusted',
      'policy_violation',
      'core_version_incompatible',
    ]);
  });

  it('does not read, compile or verify the same bytes twice with a cache', async () => {
    const cache = new CheckCache();
    let reads = 0;
    const module: StoredModule = {
      sha256: signed().signing.sha256,
      bytes: () => {
        reads++;
        return Promise.resolve(greet);
      },
    };
    const context = contextWith(keyring([acmeSigner]), { cache });
    const manifest = signed();
    expect((await checkSubmission(manifest, module, context)).ok).toBe(true);
    expect((await checkSubmission(structuredClone(manifest), module, context)).ok).toBe(true);
    expect(reads).toBe(1);
    expect(cache.hits).toBe(2);
  });
});

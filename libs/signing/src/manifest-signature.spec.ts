import * as ed from '@noble/ed25519';
import { validateManifest, type Manifest } from '@convergio/contracts';
import { aManifest } from '@convergio/testing';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { canonicalManifestBytes } from './canonical-json.js';
import { ED25519_L, generateSignerKeys, signerPublicKey } from './ed25519.js';
import {
  moduleSha256,
  readManifestSigning,
  signManifest,
  verifyManifestSignature,
} from './manifest-signature.js';
import { parseManifestText } from './parse-manifest-text.js';

const seed = (byte: number) => new Uint8Array(32).fill(byte);
const SECRET = seed(1);
const PUBLIC = signerPublicKey(SECRET);
const OTHER = generateSignerKeys();
const MODULE = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0]);
const manifest = (overrides: Partial<Manifest> = {}) =>
  aManifest(
    {
      permissions: { 'fs.read': { paths: ['/srv/data'] } },
      limits: { wall_time_ms: 1000, fuel: 1_000_000 },
      ...overrides,
    },
    MODULE,
  );
const signed = (overrides: Partial<Manifest> = {}) =>
  signManifest(manifest(overrides), MODULE, SECRET, 'release-2026');
const withSignature = (value: object, signature: string) => {
  const copy = structuredClone(value) as { signing: Record<string, unknown> };
  copy.signing.signature = signature;
  return copy;
};
const parsed = (text: string) => {
  const result = parseManifestText(text);
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return result.value;
};
const verify = (value: unknown, module: Uint8Array = MODULE, key: Uint8Array = PUBLIC) =>
  verifyManifestSignature(value, module, key);

describe('signManifest', () => {
  it('fills signing with the signer, the module hash and an 86-character base64url signature', () => {
    const result = signed();
    expect(result.signing).toEqual({
      sha256: moduleSha256(MODULE),
      signer_id: 'release-2026',
      signature: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/),
    });
    expect(validateManifest(result)).toEqual(result);
  });

  it('signs the canonical bytes of the manifest without signing.signature', () => {
    const result = signed();
    const signature = decodeBase64url(result.signing.signature)!;
    expect(ed.verify(signature, canonicalManifestBytes(result), PUBLIC, { zip215: false })).toBe(
      true,
    );
  });

  it('changes nothing in its argument and replaces an earlier signature', () => {
    const original = manifest();
    const before = structuredClone(original);
    const first = signManifest(original, MODULE, SECRET, 'a');
    expect(original).toEqual(before);
    const again = signManifest(first, MODULE, OTHER.secretKey, 'b');
    expect(verify(again, MODULE, OTHER.publicKey)).toMatchObject({ ok: true, signerId: 'b' });
    expect(verify(again)).toMatchObject({ code: 'signature_invalid' });
  });

  it.each([
    ['an empty signer id', () => signManifest(manifest(), MODULE, SECRET, ''), 'signing_malformed'],
    [
      'a 201-character signer id',
      () => signManifest(manifest(), MODULE, SECRET, 'x'.repeat(201)),
      'signing_malformed',
    ],
    [
      'a 64-byte secret key',
      () => signManifest(manifest(), MODULE, new Uint8Array(64), 'me'),
      'signer_key_invalid',
    ],
    [
      'an unknown signing field',
      () =>
        signManifest(
          { ...manifest(), signing: { sha256: 'a'.repeat(64), alg: 'x' } },
          MODULE,
          SECRET,
          'me',
        ),
      'signing_malformed',
    ],
    [
      'a NaN limit',
      () => signManifest({ ...manifest(), limits: { fuel: NaN } }, MODULE, SECRET, 'me'),
      'manifest_invalid_json',
    ],
    [
      'an integer plugin.json could not hold',
      () => signManifest({ ...manifest(), limits: { fuel: 2 ** 60 } }, MODULE, SECRET, 'me'),
      'manifest_unsafe_number',
    ],
    [
      'a lone surrogate',
      () => signManifest({ ...manifest(), name: '\ud800' }, MODULE, SECRET, 'me'),
      'invalid_characters',
    ],
  ])('refuses %s with a coded SigningError', (_what, sign, code) => {
    expect(sign).toThrow(expect.objectContaining({ name: 'SigningError', code }));
  });
});

describe('verifyManifestSignature', () => {
  it('accepts what signManifest made, and returns exactly what was signed', () => {
    const value = signed();
    const result = verify(value);
    const { signature: _s, ...unsignedSigning } = value.signing;
    expect(result).toEqual({
      ok: true,
      signerId: 'release-2026',
      signed: { ...value, signing: unsignedSigning },
    });
  });

  it('accepts the signed manifest as text with other whitespace and key order', () => {
    const value = signed();
    const reordered = Object.fromEntries(Object.entries(value).reverse());
    expect(verify(parsed(JSON.stringify(reordered, null, 3)))).toMatchObject({ ok: true });
  });

  it('refuses a signature made over non-canonical bytes of the same manifest', () => {
    const unsigned = { ...manifest(), signing: { sha256: moduleSha256(MODULE), signer_id: 'me' } };
    for (const text of [JSON.stringify(unsigned), JSON.stringify(unsigned, null, 2)]) {
      const signature = encodeBase64url(ed.sign(new TextEncoder().encode(text), SECRET));
      expect(verify(withSignature(unsigned, signature))).toMatchObject({
        ok: false,
        code: 'signature_invalid',
      });
    }
  });

  it('refuses a module other than the signed one with module_hash_mismatch', () => {
    expect(verify(signed(), Uint8Array.from([...MODULE, 0]))).toMatchObject({
      ok: false,
      code: 'module_hash_mismatch',
      path: '/signing/sha256',
    });
  });

  const DELETE = Symbol('delete');
  it.each<[string, string, unknown]>([
    ['permissions widened', '/permissions/proc.exec', { binaries: ['/bin/sh'] }],
    ['a granted path changed', '/permissions/fs.read/paths/0', '/'],
    ['limits raised', '/limits/fuel', 1_000_000_000],
    ['limits removed', '/limits', DELETE],
    ['another signer named', '/signing/signer_id', 'someone-else'],
    ['sha256 pointed at another module', '/signing/sha256', moduleSha256(Uint8Array.of(1))],
    ['a member added', '/homepage', 'https://example.com'],
    ['a number nudged', '/limits/wall_time_ms', 1000.0000000001],
    [
      'a tool input schema changed',
      '/capabilities/tools/0/input_schema/additionalProperties',
      true,
    ],
  ])(
    'refuses the manifest after signing with %s (%s): signature_invalid',
    (_what, pointer, value) => {
      const tampered = structuredClone(signed()) as unknown as Record<string, unknown>;
      const keys = pointer.split('/').slice(1);
      const parent = keys
        .slice(0, -1)
        .reduce((node, key) => node[key] as Record<string, unknown>, tampered);
      const last = keys[keys.length - 1];
      if (value === DELETE) delete parent[last];
      else parent[last] = value;
      expect(verify(tampered)).toMatchObject({ ok: false, code: 'signature_invalid' });
    },
  );

  it('refuses a signature by another key', () => {
    const value = signManifest(manifest(), MODULE, OTHER.secretKey, 'release-2026');
    expect(verify(value)).toMatchObject({ ok: false, code: 'signature_invalid' });
  });

  it('refuses the duplicate-key text that JSON.parse would resolve to the signed manifest', () => {
    const value = signed();
    const text = JSON.stringify(value).replace(
      '"permissions":',
      '"permissions":{"proc.exec":{"binaries":["/bin/sh"]}},"permissions":',
    );
    // A parser that keeps the last key verifies; one that keeps the first would grant proc.exec.
    expect(verify(JSON.parse(text))).toMatchObject({ ok: true });
    expect(parseManifestText(text)).toMatchObject({
      ok: false,
      code: 'manifest_duplicate_key',
      path: '/permissions',
    });
  });

  it('refuses the identity key with the all-zero signature, which noble accepts by default', () => {
    const identity = ed.Point.ZERO.toBytes();
    const zeros = new Uint8Array(64);
    const forged = withSignature(
      { ...manifest(), signing: { sha256: moduleSha256(MODULE), signer_id: 'x' } },
      encodeBase64url(zeros),
    );
    expect(ed.verify(zeros, canonicalManifestBytes(forged), identity)).toBe(true);
    expect(verify(forged, MODULE, identity)).toMatchObject({
      ok: false,
      code: 'signer_key_small_order',
    });
  });

  it('refuses S + L, the second spelling of a valid signature, with signature_malformed', () => {
    const value = signed();
    const signature = decodeBase64url(value.signing.signature)!;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]);
    const malleated = Uint8Array.from(signature);
    let sPlusL = s + ED25519_L;
    expect(sPlusL < 2n ** 256n).toBe(true);
    for (let i = 32; i < 64; i++, sPlusL >>= 8n) malleated[i] = Number(sPlusL & 0xffn);
    expect(verify(withSignature(value, encodeBase64url(malleated)))).toMatchObject({
      ok: false,
      code: 'signature_malformed',
      message: expect.stringContaining('below the group order L'),
    });
  });

  it.each([
    ['truncated to 63 bytes', (s: Uint8Array) => encodeBase64url(s.subarray(0, 63))],
    ['extended to 65 bytes', (s: Uint8Array) => encodeBase64url(Uint8Array.from([...s, 0]))],
    ['empty', () => ''],
    ['padded base64url', (s: Uint8Array) => `${encodeBase64url(s)}==`],
    [
      'standard base64 with + and /',
      (s: Uint8Array) => Buffer.from(s).toString('base64').replace(/=+$/, ''),
    ],
    [
      'with a newline',
      (s: Uint8Array) => `${encodeBase64url(s).slice(0, 40)}\n${encodeBase64url(s).slice(40)}`,
    ],
    ['garbage', () => '!!!not-base64!!!'],
    ['hex', (s: Uint8Array) => Buffer.from(s).toString('hex')],
    [
      'non-zero unused bits in the last character',
      (s: Uint8Array) => {
        const text = encodeBase64url(s);
        const last = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(
          text[85],
        );
        return (
          text.slice(0, 85) +
          'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[last ^ 1]
        );
      },
    ],
  ])('refuses a signature %s with signature_malformed', (_what, spell) => {
    const value = signed();
    const signature = decodeBase64url(value.signing.signature)!;
    expect(verify(withSignature(value, spell(signature)))).toMatchObject({
      ok: false,
      code: 'signature_malformed',
      path: '/signing/signature',
    });
  });

  describe('an unknown or incomplete signing is a code, never a skip', () => {
    const sha256 = moduleSha256(MODULE);
    it.each<[string, unknown, string]>([
      ['no signing at all', { ...manifest(), signing: undefined }, 'manifest_invalid_json'],
      [
        'no signing member',
        (() => {
          const { signing: _s, ...rest } = manifest();
          return rest;
        })(),
        'signature_missing',
      ],
      ['an unsigned manifest', manifest(), 'signature_missing'],
      [
        'a signer id without signature',
        { ...manifest(), signing: { sha256, signer_id: 'me' } },
        'signature_missing',
      ],
      [
        'a signature without signer id',
        { ...manifest(), signing: { sha256, signature: 'A'.repeat(86) } },
        'signing_malformed',
      ],
      ['signing as an array', { ...manifest(), signing: [sha256] }, 'signing_malformed'],
      ['signing as a string', { ...manifest(), signing: 'signed' }, 'signing_malformed'],
      ['signing null', { ...manifest(), signing: null }, 'signing_malformed'],
      [
        'an unknown signing field (a new format)',
        {
          ...withSignature(signed(), signed().signing.signature),
          signing: { ...signed().signing, alg: 'ed25519-v2' },
        },
        'signing_malformed',
      ],
      [
        'sha256 in upper case',
        { ...signed(), signing: { ...signed().signing, sha256: sha256.toUpperCase() } },
        'signing_malformed',
      ],
      [
        'sha256 missing',
        { ...signed(), signing: { signer_id: 'me', signature: signed().signing.signature } },
        'signing_malformed',
      ],
      [
        'a numeric signer id',
        { ...signed(), signing: { ...signed().signing, signer_id: 7 } },
        'signing_malformed',
      ],
      [
        'a numeric signature',
        { ...signed(), signing: { ...signed().signing, signature: 7 } },
        'signature_malformed',
      ],
      ['an array as manifest', [signed()], 'manifest_invalid_json'],
      ['null as manifest', null, 'manifest_invalid_json'],
      ['a string as manifest', JSON.stringify(signed()), 'manifest_invalid_json'],
    ])('refuses %s', (_what, value, code) => {
      expect(verify(value)).toMatchObject({ ok: false, code });
    });
  });

  describe('values that are not JSON data are refused, not serialised some other way', () => {
    type Loose = Record<string, unknown> & {
      limits: Record<string, unknown>;
      permissions: { 'fs.read': { paths: unknown[] } };
    };
    it.each<[string, (m: Loose) => void]>([
      [
        'a getter',
        (m) => Object.defineProperty(m, 'name', { get: () => 'Greet', enumerable: true }),
      ],
      [
        'a non-enumerable member',
        (m) => Object.defineProperty(m, 'extra', { value: 1, enumerable: false }),
      ],
      ['an undefined member', (m) => (m.extra = undefined)],
      ['a function with toJSON', (m) => (m.limits = { toJSON: () => ({}) })],
      ['a Date', (m) => (m.published = new Date(0))],
      [
        'a class instance',
        (m) =>
          (m.published = new (class Limits {
            fuel = 1;
          })()),
      ],
      ['a sparse array', (m) => (m.permissions['fs.read'].paths = [, '/srv'])],
      ['a symbol key', (m) => (m[Symbol('s') as unknown as string] = 1)],
      ['a bigint', (m) => (m.limits.fuel = 1n)],
      ['a cycle', (m) => (m.self = m)],
    ])('refuses %s', (_what, change) => {
      const value = structuredClone(signed()) as unknown as Loose;
      change(value);
      const result = verify(value);
      expect(result.ok).toBe(false);
      expect(['manifest_invalid_json', 'manifest_too_deep']).toContain(!result.ok && result.code);
    });
  });

  it('never throws, whatever it is given', () => {
    const hostile = new Proxy(
      {},
      {
        ownKeys: () => {
          throw new Error('boom');
        },
        getPrototypeOf: () => Object.prototype,
      },
    );
    const cases: [unknown, unknown, unknown][] = [
      [hostile, MODULE, PUBLIC],
      [signed(), undefined, PUBLIC],
      [signed(), 'module', PUBLIC],
      [signed(), MODULE, undefined],
      [signed(), MODULE, 'key'],
      [undefined, undefined, undefined],
    ];
    for (const [value, module, key] of cases) {
      const result = verifyManifestSignature(value, module as Uint8Array, key as Uint8Array);
      expect(result.ok).toBe(false);
    }
  });
});

describe('readManifestSigning', () => {
  it('gives the signer id, for looking up the key, without checking anything else', () => {
    expect(readManifestSigning(signed())).toMatchObject({
      ok: true,
      signing: { signer_id: 'release-2026' },
    });
  });
});

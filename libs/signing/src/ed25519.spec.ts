import * as ed from '@noble/ed25519';
import {
  checkSignerPublicKey,
  ed25519Sign,
  ed25519Verify,
  generateSignerKeys,
  signerPublicKey,
} from './ed25519.js';

const hex = (text: string) => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** A point of order 8; the 8 torsion points are its multiples (the identity is the 0th). */
const ORDER_8 = ed.Point.fromBytes(
  hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'),
);
const TORSION = Array.from({ length: 8 }, (_, k) =>
  Array.from({ length: k }).reduce<ed.Point>((p) => p.add(ORDER_8), ed.Point.ZERO),
);
/** p = 2^255 - 19, little-endian, as a y coordinate (sign bit clear). */
const littleEndian = (n: bigint) =>
  Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const P = 2n ** 255n - 19n;

describe('Ed25519 (RFC 8032)', () => {
  // RFC 8032 §7.1, "Test Vectors for Ed25519", TEST 1 and TEST 2.
  it.each([
    [
      'TEST 1',
      '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      '',
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    ],
    [
      'TEST 2',
      '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      '72',
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    ],
  ])('reproduces %s', (_name, secret, publicKey, message, signature) => {
    expect(toHex(signerPublicKey(hex(secret)))).toBe(publicKey);
    expect(toHex(ed25519Sign(hex(message), hex(secret)))).toBe(signature);
    expect(ed25519Verify(hex(signature), hex(message), hex(publicKey))).toBe(true);
    expect(checkSignerPublicKey(hex(publicKey))).toEqual({ ok: true });
  });
});

describe('checkSignerPublicKey', () => {
  it('accepts generated keys', () => {
    for (let i = 0; i < 5; i++)
      expect(checkSignerPublicKey(generateSignerKeys().publicKey)).toEqual({ ok: true });
  });

  it('has the 8 torsion points right: distinct, and 8 times each is the identity', () => {
    expect(new Set(TORSION.map((p) => p.toHex())).size).toBe(8);
    expect(TORSION.every((p) => p.multiply(8n, false).is0())).toBe(true);
  });

  it.each(TORSION.map((point, k) => [k, point.toHex()]))(
    'refuses torsion point %i (%s) with signer_key_small_order',
    (_k, encoded) => {
      expect(checkSignerPublicKey(hex(encoded))).toMatchObject({
        ok: false,
        code: 'signer_key_small_order',
      });
    },
  );

  it('refuses the identity, which ZIP-215 lets sign every message with the all-zero signature', () => {
    const identity = hex('01'.padEnd(64, '0'));
    const zeros = new Uint8Array(64);
    const anyMessage = new TextEncoder().encode(
      '{"permissions":{"proc.exec":{"binaries":["/bin/sh"]}}}',
    );
    expect(ed.verify(zeros, anyMessage, identity)).toBe(true); // noble's default: zip215
    expect(ed25519Verify(zeros, anyMessage, identity)).toBe(false);
    expect(checkSignerPublicKey(identity)).toMatchObject({ code: 'signer_key_small_order' });
  });

  it('refuses every torsion point as a key that ZIP-215 verification would accept for any message', () => {
    const signature = Uint8Array.from([...ed.Point.ZERO.toBytes(), ...new Uint8Array(32)]);
    const message = new TextEncoder().encode('anything at all');
    for (const point of TORSION) {
      expect(ed.verify(signature, message, point.toBytes())).toBe(true);
      expect(ed25519Verify(signature, message, point.toBytes())).toBe(false);
    }
  });

  it.each([
    ['y = p (a second spelling of y = 0)', littleEndian(P)],
    ['y = p + 1 (a second spelling of the identity)', littleEndian(P + 1n)],
    ['y = 2^255 - 1', littleEndian(2n ** 255n - 1n)],
    ['x = 0 with the sign bit set (the identity, negated)', hex('01'.padEnd(62, '0') + '80')],
  ])('refuses a non-canonical encoding, %s, with signer_key_invalid', (_what, bytes) => {
    expect(checkSignerPublicKey(bytes)).toMatchObject({ ok: false, code: 'signer_key_invalid' });
  });

  it('refuses a y with no point on the curve', () => {
    const offCurve = Array.from({ length: 20 }, (_, y) => littleEndian(BigInt(y + 2))).find(
      (bytes) => {
        try {
          ed.Point.fromBytes(bytes);
          return false;
        } catch {
          return true;
        }
      },
    );
    expect(offCurve).toBeDefined();
    expect(checkSignerPublicKey(offCurve!)).toMatchObject({ code: 'signer_key_invalid' });
  });

  it('refuses a key with a torsion component (a valid key plus a small-order point)', () => {
    const { publicKey } = generateSignerKeys();
    const mixed = ed.Point.fromBytes(publicKey).add(ORDER_8).toBytes();
    expect(checkSignerPublicKey(mixed)).toMatchObject({
      code: 'signer_key_invalid',
      message: expect.stringContaining('prime-order subgroup'),
    });
  });

  it.each([
    ['empty', new Uint8Array(0)],
    ['31 bytes', new Uint8Array(31).fill(7)],
    ['33 bytes', Uint8Array.from([...generateSignerKeys().publicKey, 0])],
    ['64 bytes (a key pair)', new Uint8Array(64)],
  ])('refuses a key that is %s with signer_key_invalid', (_what, bytes) => {
    expect(checkSignerPublicKey(bytes)).toMatchObject({ code: 'signer_key_invalid' });
  });

  it('refuses what is not bytes without throwing', () => {
    const check = checkSignerPublicKey as (key: unknown) => ReturnType<typeof checkSignerPublicKey>;
    for (const value of [undefined, null, 'key', 32, [1, 2, 3], {}])
      expect(check(value)).toMatchObject({
        code: 'signer_key_invalid',
      });
  });
});

import { createHash } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { refusal, type SigningRefusal } from './codes.js';

// noble's synchronous API needs a SHA-512; Node's is used rather than another dependency. This
// sets it for every user of @noble/ed25519 in the process, with the function they would set.
ed.hashes.sha512 = (message) => new Uint8Array(createHash('sha512').update(message).digest());

/** Length of an Ed25519 public key and of a secret key (seed), bytes (RFC 8032 §5.1.5). */
export const ED25519_KEY_BYTES = 32;
/** Length of an Ed25519 signature, bytes: R (32) then S (32, little-endian). */
export const ED25519_SIGNATURE_BYTES = 64;
/** The order L of the prime-order subgroup (RFC 8032 §5.1). */
export const ED25519_L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** A new signer key pair: 32-byte secret key (seed) and 32-byte public key. */
export function generateSignerKeys(): { secretKey: Uint8Array; publicKey: Uint8Array } {
  return ed.keygen();
}

/** The 32-byte public key of a 32-byte secret key (seed). */
export function signerPublicKey(secretKey: Uint8Array): Uint8Array {
  return ed.getPublicKey(secretKey);
}

/**
 * Whether `publicKey` may be a signer's key; run when a signer is added or rotated, and again by
 * every verification. Refuses with `signer_key_invalid` a key that is not 32 bytes, is not the
 * canonical encoding of a curve point (y ≥ p, or x = 0 with the sign bit set: RFC 8032
 * §5.1.3 as strict decoding reads it), or is not in the prime-order subgroup (a key made
 * by RFC 8032 key generation always is); and with `signer_key_small_order` any of the 8
 * torsion points, the identity included. For such keys ZIP-215 verification (Zcash ZIP 215,
 * noble's default) accepts signatures on any message: with the identity key, the all-zero
 * signature verifies (noble's README: "Any message with pubkey from ED25519_TORSION_SUBGROUP
 * would be valid in sigs under ZIP215"; Chalkias et al., "Taming the many EdDSAs", 2020).
 */
export function checkSignerPublicKey(publicKey: Uint8Array): { ok: true } | SigningRefusal {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== ED25519_KEY_BYTES)
    return refusal('signer_key_invalid', `an Ed25519 public key is ${ED25519_KEY_BYTES} bytes`);
  // The subgroup check is a scalar multiplication, as dear as a verification; a keyring has
  // few keys, each checked again by every verification, so verdicts are kept per key.
  const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString(
    'hex',
  );
  const known = checkedKeys.get(hex);
  if (known) return known;
  const verdict = checkPoint(publicKey);
  if (checkedKeys.size >= CHECKED_KEYS_KEPT) checkedKeys.delete(checkedKeys.keys().next().value!);
  checkedKeys.set(hex, Object.freeze(verdict));
  return verdict;
}

/** How many key verdicts {@link checkSignerPublicKey} keeps (oldest dropped first). */
const CHECKED_KEYS_KEPT = 1024;
const checkedKeys = new Map<string, { ok: true } | SigningRefusal>();

function checkPoint(publicKey: Uint8Array): { ok: true } | SigningRefusal {
  let point: ed.Point;
  try {
    point = ed.Point.fromBytes(publicKey, false);
  } catch {
    return refusal('signer_key_invalid', 'not the canonical encoding of a point on Ed25519');
  }
  if (!equalBytes(point.toBytes(), publicKey))
    return refusal('signer_key_invalid', 'not the canonical encoding of a point on Ed25519');
  if (point.isSmallOrder())
    return refusal(
      'signer_key_small_order',
      'a small-order point (the identity or a torsion point)',
    );
  if (!point.isTorsionFree())
    return refusal('signer_key_invalid', 'not in the prime-order subgroup (a torsion component)');
  return { ok: true };
}

/** The signature of `message`: deterministic Ed25519 (RFC 8032 §5.1.6). */
export function ed25519Sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
  return ed.sign(message, secretKey);
}

/**
 * Strict verification: RFC 8032 §5.1.7 with canonical R and A (y < p), S < L, and small-order
 * public keys refused (noble's `zip215: false`, as libsodium does). Never the ZIP-215 default
 * of @noble/ed25519 3.x, which is meant for consensus rules and accepts any message under a
 * small-order key. Returns false for any malformed input; throws only if an argument is not
 * bytes of the right length.
 */
export function ed25519Verify(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  return ed.verify(signature, message, publicKey, { zip215: false });
}

/** S of a 64-byte signature, read little-endian. */
export function signatureScalar(signature: Uint8Array): bigint {
  let s = 0n;
  for (let i = ED25519_SIGNATURE_BYTES - 1; i >= ED25519_KEY_BYTES; i--)
    s = (s << 8n) | BigInt(signature[i]);
  return s;
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

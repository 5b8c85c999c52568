import type { ErrorDetail } from '@convergio/contracts';

/**
 * Every code a refusal of this lib carries. Closed: parsing, canonicalising, signing and
 * verifying fail with one of these and nothing else (an unexpected exception inside
 * verification becomes `signature_invalid`).
 */
export const SIGNING_CODES = [
  /** The text is not JSON (RFC 8259) in UTF-8, or a value is not JSON data (NaN, a cycle, ...). */
  'manifest_invalid_json',
  /** An object holds the same key twice (compared after unescaping), at any depth. */
  'manifest_duplicate_key',
  /** Objects and arrays nest deeper than allowed. */
  'manifest_too_deep',
  /**
   * A number JSON.parse would change: an integer outside ±(2^53 − 1) written without fraction
   * or exponent (RFC 7493 §2.2), or one that overflows to ±Infinity or underflows to 0.
   */
  'manifest_unsafe_number',
  /** A string or key holds NUL or a lone UTF-16 surrogate (the gateway's rule, libs/contracts). */
  'invalid_characters',
  /** `signing` is not an object, has a key other than sha256 / signer_id / signature, or a field of the wrong form. */
  'signing_malformed',
  /** The manifest carries neither `signing.signature` nor `signing.signer_id`. */
  'signature_missing',
  /** `signing.signature` is not 86 characters of unpadded base64url, or its S is not below L. */
  'signature_malformed',
  /** The signature does not verify (RFC 8032 §5.1.7, strict) for this key and these bytes. */
  'signature_invalid',
  /** The module's SHA-256 is not `signing.sha256` (the sandbox's code for the same fact). */
  'module_hash_mismatch',
  /** A signer public key that is not 32 bytes, not a canonical point encoding, or has a torsion component. */
  'signer_key_invalid',
  /** A signer public key of small order: one of the 8 torsion points, the identity included. */
  'signer_key_small_order',
] as const;

/** One code of {@link SIGNING_CODES}. */
export type SigningCode = (typeof SIGNING_CODES)[number];

/**
 * A refusal as a value: `path` is the JSON pointer (RFC 6901) of the offending member where
 * there is one; `details` lists every problem where there can be several (`invalid_characters`).
 */
export interface SigningRefusal {
  ok: false;
  code: SigningCode;
  message: string;
  path?: string;
  details?: ErrorDetail[];
}

/** Thrown by the functions that produce something (canonical bytes, a signed manifest). */
export class SigningError extends Error {
  override readonly name = 'SigningError';

  constructor(
    readonly code: SigningCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
  }
}

/** A refusal as a value. */
export function refusal(code: SigningCode, message: string, path?: string): SigningRefusal {
  return path === undefined ? { ok: false, code, message } : { ok: false, code, message, path };
}

import { createHash } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from './base64url.js';
import { canonicalManifestBytes } from './canonical-json.js';
import { refusal, SigningError, type SigningRefusal } from './codes.js';
import {
  checkSignerPublicKey,
  ED25519_KEY_BYTES,
  ED25519_L,
  ED25519_SIGNATURE_BYTES,
  ed25519Sign,
  ed25519Verify,
  signatureScalar,
  signerPublicKey,
} from './ed25519.js';
import { isPlainObject, jsonDataProblem } from './json-data.js';
import { parseManifestText } from './parse-manifest-text.js';

/** `signing` of plugin.json as this lib reads it; the manifest schema (libs/contracts) agrees. */
export interface ManifestSigning {
  /** Hex SHA-256 of the entrypoint module, 64 lowercase hex digits. */
  sha256: string;
  /** The keyring id of the signer, 1–200 characters; present with `signature`. */
  signer_id?: string;
  /** Ed25519 signature, 64 bytes as 86 characters of unpadded base64url; present with `signer_id`. */
  signature?: string;
}

/** A manifest as {@link signManifest} returns it. */
export type SignedManifest<M> = Omit<M, 'signing'> & { signing: Required<ManifestSigning> };

/** The outcome of {@link verifyManifestSignature}. */
export type ManifestSignatureCheck =
  | {
      ok: true;
      signerId: string;
      /**
       * What the signature covers, parsed from the verified canonical bytes: the manifest
       * without `signing.signature`. Act on this rather than on a copy kept elsewhere.
       */
      signed: Record<string, unknown>;
    }
  | SigningRefusal;

const SHA256_HEX = /^[0-9a-f]{64}$/;
const SIGNING_KEYS = new Set(['sha256', 'signer_id', 'signature']);
const MAX_SIGNER_ID = 200;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A module known by its hex SHA-256 (64 lowercase hex digits), for a caller that has hashed it
 * already (the artifact store keeps modules by their hash).
 */
export interface ModuleDigest {
  sha256: string;
}

/** Hex SHA-256 of a module, as `signing.sha256` holds it. */
export function moduleSha256(module: Uint8Array): string {
  return createHash('sha256').update(module).digest('hex');
}

/**
 * Reads `signing` without trusting its shape: `signature_missing` when neither `signer_id` nor
 * `signature` is there (or there is no `signing` at all), `signing_malformed` when `signing` is
 * not an object, has any other key (a format this code does not know is refused, never skipped:
 * wascap skipped its module hash after a format change), or a field of the wrong form.
 */
export function readManifestSigning(
  manifest: unknown,
): { ok: true; signing: ManifestSigning } | SigningRefusal {
  if (!isPlainObject(manifest))
    return refusal('manifest_invalid_json', 'plugin.json must be a JSON object');
  if (!Object.prototype.hasOwnProperty.call(manifest, 'signing'))
    return refusal('signature_missing', 'plugin.json has no signing', '/signing');
  const signing = manifest.signing;
  if (!isPlainObject(signing))
    return refusal('signing_malformed', 'signing must be an object', '/signing');
  const unknown = Object.keys(signing).find((key) => !SIGNING_KEYS.has(key));
  if (unknown !== undefined)
    return refusal(
      'signing_malformed',
      `signing holds ${JSON.stringify(unknown)}; only sha256, signer_id and signature are known`,
      '/signing',
    );
  const { sha256, signer_id: signerId, signature } = signing;
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256))
    return refusal(
      'signing_malformed',
      'sha256 must be 64 lowercase hex digits',
      '/signing/sha256',
    );
  if (signerId === undefined && signature === undefined)
    return refusal('signature_missing', 'the manifest is not signed', '/signing/signature');
  if (signature === undefined)
    return refusal('signature_missing', 'signer_id comes with a signature', '/signing/signature');
  if (typeof signerId !== 'string' || signerId.length === 0 || signerId.length > MAX_SIGNER_ID)
    return refusal(
      'signing_malformed',
      `signer_id must be 1-${MAX_SIGNER_ID} characters, given with the signature`,
      '/signing/signer_id',
    );
  if (typeof signature !== 'string')
    return refusal('signature_malformed', 'signature must be a string', '/signing/signature');
  return { ok: true, signing: { sha256, signer_id: signerId, signature } };
}

/**
 * Signs plugin.json for `module` (docs/adr/0010): sets `signing.sha256` to the module's hex
 * SHA-256 and `signing.signer_id`, then `signing.signature` to the Ed25519 signature (RFC 8032,
 * 86 characters of unpadded base64url) of {@link canonicalManifestBytes}. Returns a new
 * manifest; the argument is not changed. The signature is verified before it is returned, as
 * {@link verifyManifestSignature} would. Throws {@link SigningError}: the codes of
 * {@link canonicalManifestBytes}; those of {@link parseManifestText} for a manifest whose JSON
 * text the platform would refuse (`manifest_unsafe_number` for an integer beyond
 * ±(2^53 − 1)); `signing_malformed` (a `signing` that is not an object or
 * holds an unknown key; a signer id that is not 1–200 characters), `signer_key_invalid`
 * (a secret key that is not 32 bytes).
 */
export function signManifest<M extends object>(
  manifest: M,
  module: Uint8Array,
  secretKey: Uint8Array,
  signerId: string,
): SignedManifest<M> {
  const problem = jsonDataProblem(manifest);
  if (problem) throw new SigningError(problem.code, problem.message, problem.path);
  if (!isPlainObject(manifest))
    throw new SigningError('manifest_invalid_json', 'plugin.json must be a JSON object');
  const existing = Object.prototype.hasOwnProperty.call(manifest, 'signing')
    ? manifest.signing
    : {};
  if (!isPlainObject(existing) || Object.keys(existing).some((key) => !SIGNING_KEYS.has(key)))
    throw new SigningError(
      'signing_malformed',
      'signing must be an object of sha256, signer_id and signature',
      '/signing',
    );
  if (typeof signerId !== 'string' || signerId.length === 0 || signerId.length > MAX_SIGNER_ID)
    throw new SigningError(
      'signing_malformed',
      `a signer id is 1-${MAX_SIGNER_ID} characters`,
      '/signing/signer_id',
    );
  if (!(module instanceof Uint8Array))
    throw new SigningError('module_hash_mismatch', 'no module bytes to hash', '/signing/sha256');
  if (!(secretKey instanceof Uint8Array) || secretKey.length !== ED25519_KEY_BYTES)
    throw new SigningError(
      'signer_key_invalid',
      `an Ed25519 secret key is ${ED25519_KEY_BYTES} bytes`,
    );
  const { signature: _old, ...kept } = existing;
  const unsigned = {
    ...manifest,
    signing: { ...kept, sha256: moduleSha256(module), signer_id: signerId },
  };
  const bytes = canonicalManifestBytes(unsigned);
  // Never sign what the platform would refuse to read back (an integer beyond ±(2^53 - 1) is
  // data here, but refused in plugin.json by parseManifestText).
  const reread = parseManifestText(bytes);
  if (!reread.ok) throw new SigningError(reread.code, reread.message, reread.path);
  const signature = encodeBase64url(ed25519Sign(bytes, secretKey));
  const signed = { ...unsigned, signing: { ...unsigned.signing, signature } };
  const check = verifyManifestSignature(signed, module, signerPublicKey(secretKey));
  if (!check.ok) throw new SigningError(check.code, `the new signature fails: ${check.message}`);
  return signed;
}

/**
 * Verifies a signed plugin.json against its module and the signer's public key (the caller
 * looks the key up by `signing.signer_id` in the keyring). `ok` only if all hold, each refusal
 * with its code: the manifest is plain JSON data (`manifest_invalid_json`, `manifest_too_deep`,
 * `invalid_characters`); `signing` has the known shape ({@link readManifestSigning}); the
 * signature is 86 characters of canonical unpadded base64url for 64 bytes whose S is below L
 * (`signature_malformed`; with S ≥ L allowed, anyone could turn one valid signature into
 * another by adding L: RFC 8032 §5.1.7 requires 0 ≤ S < L); the key passes {@link checkSignerPublicKey}; Ed25519 verifies in
 * strict mode over {@link canonicalManifestBytes} (`signature_invalid`); the module's SHA-256
 * is `signing.sha256` (`module_hash_mismatch`; `module` may be the bytes or their
 * {@link ModuleDigest}). Never throws: an exception anywhere becomes
 * `signature_invalid`, so no input makes the check pass by failing.
 */
export function verifyManifestSignature(
  manifest: unknown,
  module: Uint8Array | ModuleDigest,
  publicKey: Uint8Array,
): ManifestSignatureCheck {
  try {
    const problem = jsonDataProblem(manifest);
    if (problem) return problem;
    const read = readManifestSigning(manifest);
    if (!read.ok) return read;
    const { sha256, signer_id: signerId, signature: encoded } = read.signing;
    const signature = decodeBase64url(encoded ?? '');
    if (signature?.length !== ED25519_SIGNATURE_BYTES)
      return refusal(
        'signature_malformed',
        `signature must be ${ED25519_SIGNATURE_BYTES} bytes as unpadded base64url (86 characters)`,
        '/signing/signature',
      );
    if (signatureScalar(signature) >= ED25519_L)
      return refusal(
        'signature_malformed',
        'the S half of the signature is not below the group order L',
        '/signing/signature',
      );
    const key = checkSignerPublicKey(publicKey);
    if (!key.ok) return key;
    const bytes = canonicalManifestBytes(manifest);
    if (!ed25519Verify(signature, bytes, publicKey))
      return refusal(
        'signature_invalid',
        `the signature does not verify with the key of ${String(signerId)}`,
        '/signing/signature',
      );
    const actual = module instanceof Uint8Array ? moduleSha256(module) : module?.sha256;
    if (typeof actual !== 'string')
      return refusal('module_hash_mismatch', 'no module bytes to hash', '/signing/sha256');
    if (actual !== sha256)
      return refusal(
        'module_hash_mismatch',
        `module SHA-256 is ${actual}, the signed manifest declares ${sha256}`,
        '/signing/sha256',
      );
    return {
      ok: true,
      signerId: String(signerId),
      signed: JSON.parse(utf8.decode(bytes)) as Record<string, unknown>,
    };
  } catch (error) {
    return refusal(
      'signature_invalid',
      `the signature could not be checked: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

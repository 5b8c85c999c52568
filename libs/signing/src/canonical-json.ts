import canonicalize from 'canonicalize';
import { SigningError } from './codes.js';
import { jsonDataProblem } from './json-data.js';

const utf8 = new TextEncoder();

/**
 * The RFC 8785 (JCS) canonical form of a JSON value as UTF-8 bytes: no whitespace, object keys
 * sorted by UTF-16 code units (never by locale), strings and numbers serialised as ECMAScript
 * does (§3.2.2), so `1E30` is `1e+30` and `-0` is `0`. Uses `canonicalize` by Samuel Erdtman,
 * an author of RFC 8785. Throws {@link SigningError} (`manifest_invalid_json`,
 * `manifest_too_deep`, `invalid_characters`) for a value that is not plain JSON data.
 */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  const problem = jsonDataProblem(value);
  if (problem) throw new SigningError(problem.code, problem.message, problem.path);
  const text = canonicalize(value);
  // Unreachable for JSON data; refused rather than signing the bytes of "undefined".
  if (text === undefined) throw new SigningError('manifest_invalid_json', 'nothing to serialise');
  return utf8.encode(text);
}

/**
 * The bytes a plugin signature covers (docs/adr/0010): the RFC 8785 canonical JSON, as UTF-8, of
 * plugin.json without `signing.signature`. Every other member is included: `signing.signer_id`
 * (so a signature cannot be moved to another signer) and `signing.sha256` (the hex SHA-256 of
 * the module, so one signature binds manifest, permissions, limits and code). Canonicalisation
 * is of the parsed value, so whitespace and key order of the text do not matter; key order and
 * spelling of numbers cannot be used to make two texts that verify differently.
 * Throws {@link SigningError} as {@link canonicalJsonBytes} does, and `manifest_invalid_json`
 * if the manifest is not a JSON object.
 */
export function canonicalManifestBytes(manifest: unknown): Uint8Array {
  if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest))
    throw new SigningError('manifest_invalid_json', 'plugin.json must be a JSON object');
  // Checked as given, before the copy below reads (and so flattens) any accessor.
  const problem = jsonDataProblem(manifest);
  if (problem) throw new SigningError(problem.code, problem.message, problem.path);
  return canonicalJsonBytes(withoutSignature(manifest as Record<string, unknown>));
}

/**
 * A shallow copy without `signing.signature`. Spread copies define own properties (never
 * assign), so a `__proto__` key is copied as data and sets no prototype.
 */
function withoutSignature(manifest: Record<string, unknown>): Record<string, unknown> {
  const signing = manifest.signing;
  if (
    !Object.prototype.hasOwnProperty.call(manifest, 'signing') ||
    signing === null ||
    typeof signing !== 'object' ||
    Array.isArray(signing)
  )
    return manifest;
  const { signature: _signature, ...rest } = signing as Record<string, unknown>;
  return { ...manifest, signing: rest };
}

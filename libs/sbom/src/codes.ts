/**
 * Every code a finding of this lib carries, and the one code {@link SbomError} is thrown with.
 * Closed: a check of an SBOM ends with one of the `sbom_*` codes or with
 * `vulnerable_component` findings, and loading a vulnerability database fails with
 * `osv_database_invalid` and nothing else.
 */
export const SBOM_CODES = [
  /** The SBOM is not UTF-8 JSON, not an object, nests too deep or is too large (bytes, components). */
  'sbom_malformed',
  /** The SBOM fails the CycloneDX JSON schema of its `specVersion`; one finding per problem. */
  'sbom_invalid',
  /** `bomFormat` is not `CycloneDX`, or `specVersion` is not one this lib validates. */
  'sbom_unsupported',
  /** A component matches a record of the vulnerability database. */
  'vulnerable_component',
  /** A file of the vulnerability database is not JSON or not the OSV shape this lib reads. */
  'osv_database_invalid',
] as const;

/** One code of {@link SBOM_CODES}. */
export type SbomCode = (typeof SBOM_CODES)[number];

/** Severities, lowest first: the bands of CVSS v3.x / v4.0 qualitative ratings, "none" aside. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** True when `severity` is `threshold` or above it. */
export function severityAtLeast(severity: Severity, threshold: Severity): boolean {
  return SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold);
}

/**
 * Thrown by {@link loadOsvDatabase} (code `osv_database_invalid`): `file` is the path of the
 * offending file, `path` the JSON pointer (RFC 6901) of the problem inside it (`''` for the
 * whole document).
 */
export class SbomError extends Error {
  override readonly name = 'SbomError';

  constructor(
    readonly code: SbomCode,
    message: string,
    readonly file?: string,
    readonly path?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

import { DomainError } from '@convergio/contracts';
import { readSbom, SBOM_LIMITS } from '@convergio/sbom/sbom-document';

/**
 * Refuses an `sbom` part that is not an SBOM verification could read (strict UTF-8 JSON, nested
 * within libs/sbom's depth limit) with 400 and the finding verification would record,
 * `sbom_malformed`, so that nothing is stored. Its CycloneDX schema and its components are
 * checked by verification, against the operator's vulnerability database (ADR 0019).
 */
export function checkSbomPart(bytes: Uint8Array): void {
  const read = readSbom(bytes, SBOM_LIMITS);
  const message = !read.ok
    ? read.message
    : typeof read.value !== 'object' || read.value === null || Array.isArray(read.value)
      ? 'the SBOM is not a JSON object'
      : undefined;
  if (message === undefined) return;
  throw new DomainError(
    'validation_failed',
    `the multipart part "sbom" must be a CycloneDX JSON SBOM: ${message}`,
    [{ code: 'sbom_malformed', message, path: '/sbom' }],
  );
}

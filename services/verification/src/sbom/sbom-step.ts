import type { Finding } from '@convergio/contracts';
import type { CheckCache } from '@convergio/manifest';
import { checkSbom } from '@convergio/sbom';
import type { SbomPolicy } from './sbom-policy.js';

/** What the SBOM step found: findings that reject the version, and findings recorded on it. */
export interface SbomStep {
  blocking: Finding[];
  recorded: Finding[];
}

/**
 * The last check (docs/adr/0011): the submitted CycloneDX SBOM, if any, validated and its
 * components matched against the operator's OSV database. No SBOM: `sbom_missing` when the
 * policy requires one. Results are kept by the SBOM's hash: a database is read once per boot.
 */
export async function checkSubmittedSbom(
  sbom: { sha256: string } | undefined,
  read: (sha256: string) => Promise<Uint8Array>,
  policy: SbomPolicy,
  cache: CheckCache,
): Promise<SbomStep> {
  if (!sbom)
    return {
      blocking: policy.required
        ? [
            {
              code: 'sbom_missing',
              message:
                'the operator requires an SBOM: submit a CycloneDX JSON SBOM as the multipart part "sbom"',
              path: '/sbom',
            },
          ]
        : [],
      recorded: [],
    };
  return cache.get(`sbom:${sbom.sha256}`, async () => {
    const check = await checkSbom(await read(sbom.sha256), policy.database, {
      rejectAt: policy.rejectAt,
    });
    return check.ok
      ? { blocking: check.blocking, recorded: check.recorded }
      : { blocking: check.findings, recorded: [] };
  });
}

import { hostile, manifestFor, packageOf, type HostileEntry } from './hostile-entry.js';

const cycloneDx = (components: unknown[]) =>
  Buffer.from(
    JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components }),
  );

/**
 * Packages refused for their SBOM (verification's last step, matched against the sample OSV
 * database of libs/sbom/osv-sample, whose lodash record is critical; one that is not JSON is
 * refused by the gateway already).
 */
export const SBOM_ENTRIES: HostileEntry[] = [
  hostile(
    'SBOM listing a vulnerable component',
    { stage: 'verification', code: 'vulnerable_component' },
    (_ctx, id) => ({
      ...packageOf(manifestFor(id)),
      // lodash 4.17.20: command injection in template (CVE-2021-23337, GHSA-35jh-r3h4-6jhm).
      sbom: cycloneDx([
        { type: 'library', name: 'lodash', version: '4.17.20', purl: 'pkg:npm/lodash@4.17.20' },
      ]),
    }),
  ),
  // The gateway reads the sbom part as verification would and refuses it with 400 (ADR 0019).
  hostile('SBOM that is not JSON', { stage: 'gateway', code: 'sbom_malformed' }, (_ctx, id) => ({
    ...packageOf(manifestFor(id)),
    sbom: Buffer.from('{"bomFormat": "Cyclo'),
  })),
  hostile(
    'SBOM that is JSON but no SBOM format',
    { stage: 'verification', code: 'sbom_unsupported' },
    (_ctx, id) => ({
      ...packageOf(manifestFor(id)),
      sbom: Buffer.from(JSON.stringify({ components: 'all of them', bomFormat: 42 })),
    }),
  ),
  hostile(
    'CycloneDX SBOM whose components are not a list',
    { stage: 'verification', code: 'sbom_invalid' },
    (_ctx, id) => ({
      ...packageOf(manifestFor(id)),
      sbom: Buffer.from(
        JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', components: 'all of them' }),
      ),
    }),
  ),
];

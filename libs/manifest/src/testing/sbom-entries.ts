import { hostile, manifestFor, packageOf, type HostileEntry } from './hostile-entry.js';

const cycloneDx = (components: unknown[]) =>
  Buffer.from(
    JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 1, components }),
  );

/**
 * Packages refused for their SBOM. `pending: 'sbom'`: the runners skip them until the SBOM
 * checks are wired; the stage and codes are the ones asked for in issue 10.
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
    { pending: 'sbom' },
  ),
  hostile(
    'SBOM that is not JSON',
    { stage: 'verification', code: 'sbom_malformed' },
    (_ctx, id) => ({ ...packageOf(manifestFor(id)), sbom: Buffer.from('{"bomFormat": "Cyclo') }),
    { pending: 'sbom' },
  ),
  hostile(
    'SBOM that is JSON but no SBOM format',
    { stage: 'verification', code: 'sbom_invalid' },
    (_ctx, id) => ({
      ...packageOf(manifestFor(id)),
      sbom: Buffer.from(JSON.stringify({ components: 'all of them', bomFormat: 42 })),
    }),
    { pending: 'sbom' },
  ),
];

import type { Finding } from '@convergio/contracts';
import { affectedVersion } from './affected-versions.js';
import { boundedText, MAX_FINDING_PATH, MAX_FINDING_TEXT } from './bounded-text.js';
import type { Severity } from './codes.js';
import { purlPackage } from './ecosystems.js';
import type { OsvDatabase } from './osv-database.js';
import type { SbomComponent } from './sbom-document.js';

/** The severity a record without a readable one counts as (ADR 0011). */
const UNKNOWN_SEVERITY: Severity = 'medium';

/** Longest purl quoted in a message, so that the OSV id and fix always fit. */
const MAX_PURL_IN_MESSAGE = 1000;

/** A `vulnerable_component` finding and the severity that decides where it goes. */
export interface VulnerableComponent {
  severity: Severity;
  finding: Finding;
}

/**
 * The matches of `components` in `db`: one per distinct package version and OSV id, at the
 * first component naming that version.
 */
export function vulnerableComponents(
  components: readonly SbomComponent[],
  db: OsvDatabase,
): VulnerableComponent[] {
  const found: VulnerableComponent[] = [];
  const seen = new Set<string>();
  for (const component of components) {
    if (typeof component.purl !== 'string') continue;
    const pkg = purlPackage(
      component.purl,
      typeof component.version === 'string' ? component.version : undefined,
    );
    if (pkg?.version === undefined) continue;
    for (const entry of db.entriesFor(pkg.ecosystem, pkg.name)) {
      const once = `${entry.key}\u0000${pkg.version}\u0000${entry.id}`;
      if (seen.has(once)) continue;
      const answer = affectedVersion(pkg.version, entry);
      if (!answer.affected) continue;
      seen.add(once);
      const severity = entry.severity ?? UNKNOWN_SEVERITY;
      const purl = boundedText(component.purl, MAX_PURL_IN_MESSAGE);
      const rated = entry.severity ? severity : `${severity}: severity unknown, counted as medium`;
      const fix =
        answer.fixed === undefined ? 'no fixed version known' : `fixed in ${answer.fixed}`;
      found.push({
        severity,
        finding: {
          code: 'vulnerable_component',
          message: boundedText(
            `${entry.id} (${rated}) affects version ${pkg.version} of ${purl}; ${fix}`,
            MAX_FINDING_TEXT,
          ),
          path: boundedText(component.path, MAX_FINDING_PATH),
          value: boundedText(entry.id, MAX_FINDING_TEXT),
        },
      });
    }
  }
  return found;
}

import { CVSS } from '@turingpointde/cvss.js';
import { SEVERITIES, type Severity } from './codes.js';

/** GHSA's words in `database_specific.severity` (MODERATE is GitHub's word for medium). */
const WORDS = new Map<string, Severity>([
  ['LOW', 'low'],
  ['MODERATE', 'medium'],
  ['MEDIUM', 'medium'],
  ['HIGH', 'high'],
  ['CRITICAL', 'critical'],
]);

const MAX_VECTOR = 256;

/** The severity of a GHSA word, case-insensitive; `undefined` for any other string. */
export function severityOfWord(word: string): Severity | undefined {
  return WORDS.get(word.toUpperCase());
}

/**
 * The severity of one OSV `severity[]` entry: a `CVSS_V3` (3.0, 3.1) or `CVSS_V4` vector
 * scored by @turingpointde/cvss.js, banded as CVSS does: 9.0–10 critical, 7.0–8.9 high,
 * 4.0–6.9 medium, below that low (a 0.0 "none" score counts as low). Other types (`CVSS_V2`,
 * `Ubuntu`) and vectors that do not parse give `undefined`.
 */
export function severityOfScore(type: string, score: string): Severity | undefined {
  const prefix = type === 'CVSS_V3' ? 'CVSS:3.' : type === 'CVSS_V4' ? 'CVSS:4.' : undefined;
  if (prefix === undefined || !score.startsWith(prefix) || score.length > MAX_VECTOR)
    return undefined;
  let base: number;
  try {
    base = CVSS(score).getScore();
  } catch {
    return undefined;
  }
  if (!Number.isFinite(base) || base < 0 || base > 10) return undefined;
  if (base >= 9) return 'critical';
  if (base >= 7) return 'high';
  if (base >= 4) return 'medium';
  return 'low';
}

/** The highest of the severities given; `undefined` when none is. */
export function highestSeverity(...found: (Severity | undefined)[]): Severity | undefined {
  let highest: Severity | undefined;
  for (const severity of found)
    if (
      severity !== undefined &&
      (highest === undefined || SEVERITIES.indexOf(severity) > SEVERITIES.indexOf(highest))
    )
      highest = severity;
  return highest;
}

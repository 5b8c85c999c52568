import type { VersionOrder } from './version-order.js';

/** One event of an OSV range (https://ossf.github.io/osv-schema/#affectedrangesevents-fields). */
export interface OsvEvent {
  kind: 'introduced' | 'fixed' | 'last_affected' | 'limit';
  version: string;
}

/** A SEMVER or ECOSYSTEM range with the order its versions compare by (GIT ranges are dropped). */
export interface OsvRange {
  type: 'SEMVER' | 'ECOSYSTEM';
  order: VersionOrder;
  events: OsvEvent[];
}

/** The versions one `affected[]` entry names, with its ecosystem's order for `versions`. */
export interface OsvAffectedVersions {
  ranges: readonly OsvRange[];
  versions: readonly string[];
  order: VersionOrder;
}

/** Whether a version is affected and, if so, the lowest fixed version above it when known. */
export interface AffectedAnswer {
  affected: boolean;
  fixed?: string;
}

/**
 * OSV's `IsVulnerable` for one package (https://ossf.github.io/osv-schema/#evaluation): the
 * version is affected when it is in `versions` (equal as strings, or equal by the order of a
 * range) or lies in one of the ranges. Within a range the events are sorted (introduced `0`
 * first, limit `*` last); walking them, `introduced` at or below the version sets affected,
 * `fixed` at or below it clears it, `last_affected` below it clears it; limits, when there are
 * any, admit only versions below one of them. A version the range's order cannot read matches
 * no range.
 */
export function affectedVersion(version: string, affected: OsvAffectedVersions): AffectedAnswer {
  for (const range of affected.ranges) {
    if (inRange(version, range)) return { affected: true, fixed: fixedAbove(version, range) };
  }
  const { order } = affected;
  if (affected.versions.some((listed) => listed === version || order(listed, version) === 0))
    return { affected: true };
  return { affected: false };
}

function inRange(version: string, range: OsvRange): boolean {
  const { order } = range;
  if (order(version, version) === undefined) return false;
  const limits = range.events.filter((event) => event.kind === 'limit');
  if (limits.length > 0 && !limits.some((limit) => below(version, limit.version, order)))
    return false;
  let affected = false;
  for (const event of sortedEvents(range)) {
    if (event.kind === 'introduced') {
      if (event.version === '0' || atOrAbove(version, event.version, order)) affected = true;
    } else if (event.kind === 'fixed') {
      if (atOrAbove(version, event.version, order)) affected = false;
    } else if (event.kind === 'last_affected') {
      if (above(version, event.version, order)) affected = false;
    }
  }
  return affected;
}

/** The range's events by version, stable for ties; introduced `0` first and limit `*` last. */
function sortedEvents(range: OsvRange): OsvEvent[] {
  const weight = (event: OsvEvent) =>
    event.kind === 'introduced' && event.version === '0'
      ? -1
      : event.kind === 'limit' && event.version === '*'
        ? 1
        : 0;
  return [...range.events].sort((a, b) => {
    const byWeight = weight(a) - weight(b);
    if (byWeight !== 0 || weight(a) !== 0) return byWeight;
    return range.order(a.version, b.version) ?? 0;
  });
}

function fixedAbove(version: string, range: OsvRange): string | undefined {
  let lowest: string | undefined;
  for (const event of range.events)
    if (
      event.kind === 'fixed' &&
      above(event.version, version, range.order) &&
      (lowest === undefined || below(event.version, lowest, range.order))
    )
      lowest = event.version;
  return lowest;
}

function atOrAbove(a: string, b: string, order: VersionOrder): boolean {
  const compared = order(a, b);
  return compared !== undefined && compared >= 0;
}

function above(a: string, b: string, order: VersionOrder): boolean {
  const compared = order(a, b);
  return compared !== undefined && compared > 0;
}

function below(a: string, b: string, order: VersionOrder): boolean {
  if (b === '*') return true;
  const compared = order(a, b);
  return compared !== undefined && compared < 0;
}

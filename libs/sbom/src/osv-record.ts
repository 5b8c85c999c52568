import semver from 'semver';
import type { Severity } from './codes.js';
import { SbomError } from './codes.js';
import { childPointer } from './bounded-text.js';
import { ecosystemOrder, isSemverEcosystem, packageKey } from './ecosystems.js';
import type { OsvAffectedVersions, OsvEvent, OsvRange } from './affected-versions.js';
import { highestSeverity, severityOfScore, severityOfWord } from './osv-severity.js';
import { semverOrder } from './version-order.js';

/** One `affected[]` entry of a record, ready to match: what the database indexes. */
export interface OsvAffectedEntry extends OsvAffectedVersions {
  /** The record's `id`. */
  id: string;
  /** {@link packageKey} of `affected[].package`. */
  key: string;
  /** Highest of the record's and this entry's severities; `undefined` when none is known. */
  severity: Severity | undefined;
}

type Json = Record<string, unknown>;

const EVENT_KINDS = ['introduced', 'fixed', 'last_affected', 'limit'] as const;

/**
 * The matchable entries of one OSV record (https://ossf.github.io/osv-schema/), `undefined`
 * for a withdrawn record. Checks the shape of the fields it reads and throws {@link SbomError}
 * `osv_database_invalid` with `file` and the JSON pointer of the first problem.
 */
export function recordEntries(
  record: unknown,
  file: string,
  at: string,
): OsvAffectedEntry[] | undefined {
  const fail = (path: string, problem: string): never => {
    throw new SbomError(
      'osv_database_invalid',
      `${file}: ${path || '(the document)'}: ${problem}`,
      file,
      path,
    );
  };
  const object = (value: unknown, path: string): Json =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Json)
      : fail(path, 'must be an object');
  const array = (value: unknown, path: string): unknown[] =>
    Array.isArray(value) ? value : fail(path, 'must be an array');
  const text = (value: unknown, path: string): string =>
    typeof value === 'string' && value.length > 0
      ? value
      : fail(path, 'must be a non-empty string');
  const optional = <T>(value: unknown, read: (value: unknown) => T): T | undefined =>
    value === undefined ? undefined : read(value);

  const osv = object(record, at);
  const id = text(osv.id, childPointer(at, 'id'));
  if (optional(osv.withdrawn, (v) => text(v, childPointer(at, 'withdrawn'))) !== undefined)
    return undefined;
  const scores = (value: unknown, path: string): Severity | undefined =>
    highestSeverity(
      ...(optional(value, (v) => array(v, path)) ?? []).map((item, i) => {
        const entry = object(item, childPointer(path, i));
        return severityOfScore(
          text(entry.type, childPointer(childPointer(path, i), 'type')),
          text(entry.score, childPointer(childPointer(path, i), 'score')),
        );
      }),
    );
  const databaseSpecific = optional(osv.database_specific, (v) =>
    object(v, childPointer(at, 'database_specific')),
  );
  const word = optional(databaseSpecific?.severity, (v) =>
    text(v, childPointer(childPointer(at, 'database_specific'), 'severity')),
  );
  const recordSeverity = highestSeverity(
    word === undefined ? undefined : severityOfWord(word),
    scores(osv.severity, childPointer(at, 'severity')),
  );

  const affectedAt = childPointer(at, 'affected');
  return (optional(osv.affected, (v) => array(v, affectedAt)) ?? []).map((item, i) => {
    const path = childPointer(affectedAt, i);
    const affected = object(item, path);
    const pkg = object(affected.package, childPointer(path, 'package'));
    const ecosystem = text(pkg.ecosystem, childPointer(childPointer(path, 'package'), 'ecosystem'));
    const name = text(pkg.name, childPointer(childPointer(path, 'package'), 'name'));
    optional(pkg.purl, (v) => text(v, childPointer(childPointer(path, 'package'), 'purl')));
    const versionsAt = childPointer(path, 'versions');
    const versions = (optional(affected.versions, (v) => array(v, versionsAt)) ?? []).map(
      (version, j) => text(version, childPointer(versionsAt, j)),
    );
    const rangesAt = childPointer(path, 'ranges');
    const ranges: OsvRange[] = [];
    (optional(affected.ranges, (v) => array(v, rangesAt)) ?? []).forEach((rangeItem, j) => {
      const rangePath = childPointer(rangesAt, j);
      const range = object(rangeItem, rangePath);
      const type = range.type;
      if (type !== 'SEMVER' && type !== 'ECOSYSTEM' && type !== 'GIT')
        return fail(childPointer(rangePath, 'type'), 'must be SEMVER, ECOSYSTEM or GIT');
      const semverOnly =
        type === 'SEMVER' || (type === 'ECOSYSTEM' && isSemverEcosystem(ecosystem));
      const eventsAt = childPointer(rangePath, 'events');
      const events = array(range.events, eventsAt).map((eventItem, k): OsvEvent => {
        const eventPath = childPointer(eventsAt, k);
        const event = object(eventItem, eventPath);
        const kinds = EVENT_KINDS.filter((kind) => event[kind] !== undefined);
        if (kinds.length !== 1)
          fail(eventPath, 'must hold exactly one of introduced, fixed, last_affected, limit');
        const kind = kinds[0];
        const version = text(event[kind], childPointer(eventPath, kind));
        const special =
          (kind === 'introduced' && version === '0') || (kind === 'limit' && version === '*');
        if (semverOnly && !special && semver.parse(version) === null)
          fail(childPointer(eventPath, kind), `${version} is not a SemVer 2.0 version`);
        return { kind, version };
      });
      if (!events.some((event) => event.kind === 'introduced'))
        fail(eventsAt, 'must hold an introduced event');
      if (type !== 'GIT')
        ranges.push({
          type,
          order: type === 'SEMVER' ? semverOrder : ecosystemOrder(ecosystem),
          events,
        });
    });
    return {
      id,
      key: packageKey(ecosystem, name),
      ranges,
      versions,
      order: ecosystemOrder(ecosystem),
      severity: highestSeverity(
        recordSeverity,
        scores(affected.severity, childPointer(path, 'severity')),
      ),
    };
  });
}

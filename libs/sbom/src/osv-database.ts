import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SbomError } from './codes.js';
import { packageKey } from './ecosystems.js';
import type { OsvAffectedEntry } from './osv-record.js';
import { recordEntries } from './osv-record.js';

/**
 * Vulnerability records in the OSV format, indexed by ecosystem and package name. Built by
 * {@link loadOsvDatabase}; read by {@link checkSbom}. Immutable.
 */
export class OsvDatabase {
  readonly #byPackage: ReadonlyMap<string, readonly OsvAffectedEntry[]>;

  /**
   * Built by {@link loadOsvDatabase}, not meant to be called elsewhere.
   *
   * @param records how many records were loaded, withdrawn ones not counted.
   */
  constructor(
    entries: readonly OsvAffectedEntry[],
    readonly records: number,
  ) {
    const byPackage = new Map<string, OsvAffectedEntry[]>();
    for (const entry of entries) {
      const list = byPackage.get(entry.key);
      if (list) list.push(entry);
      else byPackage.set(entry.key, [entry]);
    }
    this.#byPackage = byPackage;
  }

  /**
   * The `affected[]` entries of one package, in load order: `ecosystem` as OSV spells it
   * (`npm`, `PyPI`, `Maven`, ...), `name` compared as that ecosystem does (PyPI names PEP 503
   * normalised, NuGet and Packagist names case-insensitive).
   */
  entriesFor(ecosystem: string, name: string): readonly OsvAffectedEntry[] {
    return this.#byPackage.get(packageKey(ecosystem, name)) ?? [];
  }
}

/**
 * Reads every `*.json` file directly in `dir` (not its subfolders), in name order: each holds
 * one OSV record (https://ossf.github.io/osv-schema/) or an array of records. Checked, for the
 * fields this lib reads: `id`; `withdrawn` (a record carrying it is skipped); `affected[].package`
 * {ecosystem, name, purl?}; `affected[].ranges[]` {type SEMVER | ECOSYSTEM | GIT, events, each
 * exactly one of introduced / fixed / last_affected / limit, at least one introduced}; the
 * versions of SEMVER ranges, and of ECOSYSTEM ranges of SemVer ecosystems (npm, crates.io, Go,
 * Hex, Pub), must be SemVer 2.0; `affected[].versions[]`; `severity[]` and
 * `affected[].severity[]` {type, score}; `database_specific.severity`. Other fields are not
 * read. GIT ranges are checked and dropped: a commit cannot be compared with a version.
 *
 * @throws SbomError `osv_database_invalid` when a file is not JSON or not of that shape (the
 *   message, `file` and `path` name the file and the JSON pointer of the problem); a failure
 *   to read the folder or a file is thrown as Node's error.
 */
export async function loadOsvDatabase(dir: string): Promise<OsvDatabase> {
  const names = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => entry.name)
    .sort();
  const entries: OsvAffectedEntry[] = [];
  let records = 0;
  for (const name of names) {
    const file = join(dir, name);
    let document: unknown;
    try {
      document = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      throw new SbomError('osv_database_invalid', `${file}: not JSON: ${error.message}`, file, '', {
        cause: error,
      });
    }
    const list = Array.isArray(document) ? document : [document];
    list.forEach((record, i) => {
      const found = recordEntries(record, file, Array.isArray(document) ? `/${i}` : '');
      if (found === undefined) return;
      records++;
      entries.push(...found);
    });
  }
  return new OsvDatabase(entries, records);
}

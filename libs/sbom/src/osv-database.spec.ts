import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SbomError } from './codes.js';
import { loadOsvDatabase } from './osv-database.js';

const SAMPLE = join(import.meta.dirname, '..', 'osv-sample');

const record = (overrides: Record<string, unknown> = {}) => ({
  id: 'TEST-1',
  modified: '2024-01-01T00:00:00Z',
  affected: [
    {
      package: { ecosystem: 'npm', name: 'lodash' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.21' }] }],
    },
  ],
  ...overrides,
});

describe('loadOsvDatabase', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'osv-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** The error loadOsvDatabase throws for a folder holding one file with `content`. */
  async function loadError(content: unknown, name = 'bad.json'): Promise<SbomError> {
    await writeFile(
      join(dir, name),
      typeof content === 'string' ? content : JSON.stringify(content),
    );
    const error: unknown = await loadOsvDatabase(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SbomError);
    expect((error as SbomError).code).toBe('osv_database_invalid');
    expect((error as SbomError).file).toBe(join(dir, name));
    return error as SbomError;
  }

  it('loads the sample: records of files and of an array file, withdrawn ones left out', async () => {
    const db = await loadOsvDatabase(SAMPLE);
    expect(db.records).toBe(7);
    expect(db.entriesFor('npm', 'lodash').map((e) => e.id)).toEqual(['CONVERGIO-SAMPLE-0001']);
    expect(db.entriesFor('npm', 'left-pad')).toEqual([]);
    expect(db.entriesFor('PyPI', 'PyYAML')).toHaveLength(1);
  });

  it('drops GIT ranges and keeps the others', async () => {
    const db = await loadOsvDatabase(SAMPLE);
    const [smallvec] = db.entriesFor('crates.io', 'smallvec');
    expect(smallvec.ranges.map((range) => range.type)).toEqual(['ECOSYSTEM']);
    const [express] = db.entriesFor('npm', 'express');
    expect(express.ranges).toEqual([]);
  });

  it('reads severity from the GHSA word, CVSS vectors, and knows when there is none', async () => {
    const db = await loadOsvDatabase(SAMPLE);
    const severity = (ecosystem: string, name: string) =>
      db.entriesFor(ecosystem, name)[0].severity;
    expect(severity('npm', 'lodash')).toBe('critical');
    expect(severity('PyPI', 'pyyaml')).toBe('medium');
    expect(severity('Go', 'github.com/example/router')).toBe('critical');
    expect(severity('npm', 'minimist')).toBe('medium');
    expect(severity('crates.io', 'smallvec')).toBe('low');
    expect(severity('Maven', 'org.example:widget')).toBeUndefined();
  });

  it('takes the highest of the word, the record vectors and the affected entry vectors', async () => {
    await writeFile(
      join(dir, 'a.json'),
      JSON.stringify(
        record({
          database_specific: { severity: 'LOW' },
          severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H' }],
          affected: [
            {
              package: { ecosystem: 'npm', name: 'a' },
              versions: ['1.0.0'],
              severity: [
                { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
              ],
            },
            { package: { ecosystem: 'npm', name: 'b' }, versions: ['1.0.0'] },
          ],
        }),
      ),
    );
    const db = await loadOsvDatabase(dir);
    expect(db.entriesFor('npm', 'a')[0].severity).toBe('high');
    expect(db.entriesFor('npm', 'b')[0].severity).toBe('medium');
  });

  it('reads only *.json files directly in the folder', async () => {
    await writeFile(join(dir, 'notes.txt'), 'not json');
    await mkdir(join(dir, 'nested.json'));
    await writeFile(join(dir, 'nested.json', 'x.json'), '{');
    await writeFile(join(dir, 'one.json'), JSON.stringify(record()));
    expect((await loadOsvDatabase(dir)).records).toBe(1);
  });

  it('names the file of text that is not JSON', async () => {
    const error = await loadError('{"id": ');
    expect(error.path).toBe('');
    expect(error.message).toContain('bad.json');
  });

  it.each([
    ['a record that is not an object', 42, ''],
    ['a missing id', record({ id: undefined }), '/id'],
    ['an empty id', record({ id: '' }), '/id'],
    ['withdrawn that is not a string', record({ withdrawn: true }), '/withdrawn'],
    ['affected that is not an array', record({ affected: {} }), '/affected'],
    [
      'a package without ecosystem',
      record({ affected: [{ package: { name: 'x' } }] }),
      '/affected/0/package/ecosystem',
    ],
    [
      'a purl that is not a string',
      record({ affected: [{ package: { ecosystem: 'npm', name: 'x', purl: 1 } }] }),
      '/affected/0/package/purl',
    ],
    [
      'a range type OSV does not define',
      record({
        affected: [
          { package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'RANGE', events: [] }] },
        ],
      }),
      '/affected/0/ranges/0/type',
    ],
    [
      'an event with two kinds',
      record({
        affected: [
          {
            package: { ecosystem: 'npm', name: 'x' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '1.0.0', fixed: '1.0.2' }] }],
          },
        ],
      }),
      '/affected/0/ranges/0/events/0',
    ],
    [
      'a range without introduced',
      record({
        affected: [
          {
            package: { ecosystem: 'npm', name: 'x' },
            ranges: [{ type: 'SEMVER', events: [{ fixed: '1.0.2' }] }],
          },
        ],
      }),
      '/affected/0/ranges/0/events',
    ],
    [
      'a SEMVER event that is not SemVer',
      record({
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'x' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0' }] }],
          },
        ],
      }),
      '/affected/0/ranges/0/events/1/fixed',
    ],
    [
      'an npm ECOSYSTEM event that is not SemVer',
      record({
        affected: [
          {
            package: { ecosystem: 'npm', name: 'x' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: 'one' }] }],
          },
        ],
      }),
      '/affected/0/ranges/0/events/0/introduced',
    ],
    [
      'a versions entry that is not a string',
      record({ affected: [{ package: { ecosystem: 'npm', name: 'x' }, versions: [1] }] }),
      '/affected/0/versions/0',
    ],
    ['a severity without score', record({ severity: [{ type: 'CVSS_V3' }] }), '/severity/0/score'],
    [
      'a GHSA severity that is not a string',
      record({ database_specific: { severity: 3 } }),
      '/database_specific/severity',
    ],
  ])('refuses %s, with its JSON pointer', async (_what, content, path) => {
    const error = await loadError(content);
    expect(error.path).toBe(path);
    expect(error.message).toContain(join(dir, 'bad.json'));
  });

  it('points into an array file with the index of the record', async () => {
    const error = await loadError([record(), record({ id: 7 })]);
    expect(error.path).toBe('/1/id');
  });

  it('accepts a PyPI ECOSYSTEM range that is not SemVer, and a GIT range of commits', async () => {
    await writeFile(
      join(dir, 'ok.json'),
      JSON.stringify(
        record({
          affected: [
            {
              package: { ecosystem: 'PyPI', name: 'x' },
              ranges: [
                { type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0rc1' }] },
                { type: 'GIT', repo: 'https://example.com/x', events: [{ introduced: 'abc' }] },
              ],
            },
          ],
        }),
      ),
    );
    expect((await loadOsvDatabase(dir)).records).toBe(1);
  });
});

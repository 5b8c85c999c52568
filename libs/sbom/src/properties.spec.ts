import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Finding } from '@convergio/contracts';
import { checkSbom, type SbomCheck } from './check-sbom.js';
import { SBOM_CODES, SEVERITIES } from './codes.js';
import { loadOsvDatabase, type OsvDatabase } from './osv-database.js';

// Property-based: whatever bytes arrive as an SBOM, checkSbom answers (never throws, never
// rejects) with findings that the Finding schema of libs/contracts accepts and that hold no raw
// control character or lone surrogate.

const RUNS = { numRuns: 150 };

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

function expectWellFormed(check: SbomCheck): void {
  const findings: Finding[] = check.ok ? [...check.blocking, ...check.recorded] : check.findings;
  if (!check.ok) expect(findings.length).toBeGreaterThan(0);
  for (const finding of findings) {
    expect(SBOM_CODES).toContain(finding.code);
    expect(finding.message.length).toBeLessThanOrEqual(2000);
    expect((finding.path ?? '').length).toBeLessThanOrEqual(500);
    expect((finding.value ?? '').length).toBeLessThanOrEqual(2000);
    for (const text of [finding.message, finding.path ?? '', finding.value ?? ''])
      expect(text).not.toMatch(
        /[\u0000-\u001f\u007f-\u009f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/,
      );
  }
}

/** `value` with the member or element at a random path replaced by `replacement` (or removed). */
function mutate(value: Json, choices: number[], replacement: Json | undefined): Json {
  if (choices.length === 0 || value === null || typeof value !== 'object')
    return replacement ?? null;
  const [choice, ...rest] = choices;
  if (Array.isArray(value)) {
    if (value.length === 0) return replacement === undefined ? value : [replacement];
    const i = choice % value.length;
    const copy = [...value];
    if (rest.length === 0 && replacement === undefined) copy.splice(i, 1);
    else copy[i] = mutate(value[i], rest, replacement);
    return copy;
  }
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement === undefined ? value : { x: replacement };
  const key = keys[choice % keys.length];
  const copy = { ...value };
  if (rest.length === 0 && replacement === undefined) delete copy[key];
  else copy[key] = mutate(value[key], rest, replacement);
  return copy;
}

describe('checkSbom (properties)', () => {
  let db: OsvDatabase;
  let vulnerable: Json;
  let vulnerableBytes: Uint8Array;
  beforeAll(async () => {
    db = await loadOsvDatabase(join(import.meta.dirname, '..', 'osv-sample'));
    vulnerableBytes = await readFile(join(import.meta.dirname, 'fixtures', 'vulnerable.cdx.json'));
    vulnerable = JSON.parse(new TextDecoder().decode(vulnerableBytes)) as Json;
  });
  const severity = fc.constantFrom(...SEVERITIES);

  it('answers any bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), severity, async (bytes, rejectAt) => {
        expectWellFormed(await checkSbom(bytes, db, { rejectAt }));
      }),
      RUNS,
    );
  });

  it('answers any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), severity, async (value, rejectAt) => {
        expectWellFormed(await checkSbom(encode(value), db, { rejectAt }));
      }),
      RUNS,
    );
  });

  it('answers the vulnerable SBOM with bytes flipped or cut', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.nat(),
        severity,
        async (flips, cut, rejectAt) => {
          const bytes = Uint8Array.from(vulnerableBytes);
          for (const [at, byte] of flips) bytes[at % bytes.length] = byte;
          expectWellFormed(
            await checkSbom(bytes.subarray(0, cut % (bytes.length + 1)), db, { rejectAt }),
          );
        },
      ),
      RUNS,
    );
  });

  it('answers the vulnerable SBOM with a member replaced or removed anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(), { minLength: 1, maxLength: 6 }),
        fc.option(fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, { nil: undefined }),
        severity,
        async (choices, replacement, rejectAt) => {
          expectWellFormed(
            await checkSbom(encode(mutate(vulnerable, choices, replacement)), db, { rejectAt }),
          );
        },
      ),
      RUNS,
    );
  });

  it('answers valid SBOMs of arbitrary purls and versions', async () => {
    const purl = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc
        .tuple(
          fc.constantFrom('npm', 'pypi', 'maven', 'golang', 'cargo', 'nuget', 'gem', 'deb'),
          fc.constantFrom(
            'lodash',
            'pyyaml',
            'org.example/widget',
            'github.com/example/router',
            'smallvec',
          ),
          fc.string({ unit: 'binary', maxLength: 20 }),
        )
        .map(([type, name, version]) => `pkg:${type}/${name}@${encodeURIComponent(version)}`),
    );
    const component = fc.record({
      type: fc.constant('library'),
      name: fc.string({ maxLength: 10 }),
      version: fc.string({ unit: 'binary', maxLength: 12 }),
      purl,
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(component, { maxLength: 8 }),
        severity,
        async (components, rejectAt) => {
          const check = await checkSbom(
            encode({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, components }),
            db,
            { rejectAt },
          );
          expectWellFormed(check);
          expect(check.ok).toBe(true);
        },
      ),
      RUNS,
    );
  });
});

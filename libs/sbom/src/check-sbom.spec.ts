import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkSbom, type SbomCheck } from './check-sbom.js';
import { loadOsvDatabase, type OsvDatabase } from './osv-database.js';

const SAMPLE = join(import.meta.dirname, '..', 'osv-sample');
const fixture = (name: string) => readFile(join(import.meta.dirname, 'fixtures', name));
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
const bom = (components: unknown[], extra: Record<string, unknown> = {}) => ({
  bomFormat: 'CycloneDX',
  specVersion: '1.5',
  version: 1,
  components,
  ...extra,
});
const lib = (purl: string | undefined, name = 'x', more: Record<string, unknown> = {}) => ({
  type: 'library',
  name,
  ...(purl === undefined ? {} : { purl }),
  ...more,
});

function accepted(check: SbomCheck) {
  if (!check.ok) throw new Error(`refused: ${JSON.stringify(check.findings)}`);
  return check;
}
function refused(check: SbomCheck) {
  if (check.ok) throw new Error('accepted');
  return check.findings;
}

describe('checkSbom', () => {
  let db: OsvDatabase;
  beforeAll(async () => {
    db = await loadOsvDatabase(SAMPLE);
  });

  it('accepts a clean SBOM and counts its nested components', async () => {
    const check = accepted(
      await checkSbom(await fixture('clean.cdx.json'), db, { rejectAt: 'high' }),
    );
    expect(check).toEqual({ ok: true, components: 3, blocking: [], recorded: [] });
  });

  it('splits the vulnerable components at the threshold: high and above block', async () => {
    const check = accepted(
      await checkSbom(await fixture('vulnerable.cdx.json'), db, { rejectAt: 'high' }),
    );
    expect(check.components).toBe(11);
    expect(check.blocking.map((f) => [f.value, f.path])).toEqual([
      ['CONVERGIO-SAMPLE-0001', '/components/0'],
      ['CONVERGIO-SAMPLE-0005', '/components/3'],
    ]);
    expect(check.recorded.map((f) => [f.value, f.path])).toEqual([
      ['CONVERGIO-SAMPLE-0006', '/components/1'],
      ['CONVERGIO-SAMPLE-0007', '/components/4'],
      ['CONVERGIO-SAMPLE-0002', '/components/2/components/0'],
      ['CONVERGIO-SAMPLE-0003', '/components/2/components/1'],
    ]);
    for (const finding of [...check.blocking, ...check.recorded])
      expect(finding.code).toBe('vulnerable_component');
  });

  it('finds a PyPI version written with a leading v, as PEP 440 reads it', async () => {
    for (const component of [
      lib('pkg:pypi/pyyaml@v5.3.1', 'pyyaml'),
      lib('pkg:pypi/pyyaml', 'pyyaml', { version: 'v5.3.1' }),
    ]) {
      const check = accepted(await checkSbom(bytes(bom([component])), db, { rejectAt: 'high' }));
      expect([...check.blocking, ...check.recorded].map((f) => f.value)).toEqual([
        'CONVERGIO-SAMPLE-0002',
      ]);
    }
  });

  it('names purl, version, OSV id, severity and the fixed version in the message', async () => {
    const check = accepted(
      await checkSbom(await fixture('vulnerable.cdx.json'), db, { rejectAt: 'critical' }),
    );
    const lodash = check.blocking.find((f) => f.value === 'CONVERGIO-SAMPLE-0001');
    expect(lodash?.message).toBe(
      'CONVERGIO-SAMPLE-0001 (critical) affects version 4.17.20 of pkg:npm/lodash@4.17.20; fixed in 4.17.21',
    );
    const widget = check.recorded.find((f) => f.value === 'CONVERGIO-SAMPLE-0003');
    expect(widget?.message).toContain('severity unknown, counted as medium');
    expect(widget?.message).toContain('no fixed version known');
  });

  it.each([
    ['low', 6, 0],
    ['medium', 5, 1],
    ['high', 2, 4],
    ['critical', 2, 4],
  ] as const)(
    'with rejectAt %s, %d block and %d are recorded',
    async (rejectAt, blocking, recorded) => {
      const check = accepted(
        await checkSbom(await fixture('vulnerable.cdx.json'), db, { rejectAt }),
      );
      expect([check.blocking.length, check.recorded.length]).toEqual([blocking, recorded]);
    },
  );

  it('does not match withdrawn records, GIT-only records, components without purl or of other ecosystems', async () => {
    const check = accepted(
      await checkSbom(
        bytes(
          bom([
            lib('pkg:npm/left-pad@1.3.0', 'left-pad'),
            lib('pkg:npm/express@4.18.2', 'express'),
            lib(undefined, 'lodash', { version: '4.17.20' }),
            lib('pkg:deb/debian/lodash@4.17.20', 'lodash'),
            lib('pkg:pypi/lodash@4.17.20', 'lodash'),
            lib('pkg:npm/lodash', 'lodash'),
          ]),
        ),
        db,
        { rejectAt: 'low' },
      ),
    );
    expect(check).toEqual({ ok: true, components: 6, blocking: [], recorded: [] });
  });

  it("uses the component's version when the purl has none", async () => {
    const check = accepted(
      await checkSbom(bytes(bom([lib('pkg:npm/lodash', 'lodash', { version: '4.17.20' })])), db, {
        rejectAt: 'high',
      }),
    );
    expect(check.blocking.map((f) => f.value)).toEqual(['CONVERGIO-SAMPLE-0001']);
  });

  it('finds components nested at any depth, and reports a package version once', async () => {
    const deep = lib('pkg:npm/lodash@4.17.20', 'lodash');
    const nest = (inner: unknown, n: number): unknown =>
      n === 0 ? inner : lib(undefined, `level${n}`, { components: [nest(inner, n - 1)] });
    const check = accepted(
      await checkSbom(bytes(bom([nest(deep, 5), deep])), db, { rejectAt: 'high' }),
    );
    expect(check.components).toBe(7);
    expect(check.blocking.map((f) => f.path)).toEqual(['/components/1']);
  });

  describe('refusals', () => {
    it('sbom_malformed: the malformed fixture, not UTF-8, not JSON, not an object', async () => {
      for (const input of [
        await fixture('malformed.cdx.json'),
        Uint8Array.from([0x7b, 0xff, 0x7d]),
        new TextEncoder().encode('\ufeff{}'),
        new TextEncoder().encode(''),
        bytes([bom([])]),
        bytes('CycloneDX'),
        bytes(null),
      ]) {
        const findings = refused(await checkSbom(input, db, { rejectAt: 'high' }));
        expect(findings).toHaveLength(1);
        expect(findings[0].code).toBe('sbom_malformed');
      }
    });

    it('sbom_malformed: a key written twice in one object, which JSON.parse reads as its last', async () => {
      const vulnerable = JSON.stringify(bom([lib('pkg:npm/lodash@4.17.20', 'lodash')]));
      const hidden = `${vulnerable.slice(0, -1)},"components":[]}`;
      const text = new TextEncoder().encode(hidden);
      const findings = refused(await checkSbom(text, db, { rejectAt: 'high' }));
      expect(findings).toEqual([
        expect.objectContaining({
          code: 'sbom_malformed',
          message: expect.stringContaining('a key more than once'),
        }),
      ]);
    });

    it('sbom_malformed: more bytes, depth or components than the limits', async () => {
      const big = bytes(bom([lib('pkg:npm/a@1.0.0', 'a', { description: 'x'.repeat(2000) })]));
      expect(
        refused(await checkSbom(big, db, { rejectAt: 'high', limits: { maxBytes: 1000 } }))[0],
      ).toMatchObject({ code: 'sbom_malformed', message: expect.stringContaining('bytes') });

      const deep = new TextEncoder().encode('['.repeat(100_000) + ']'.repeat(100_000));
      expect(refused(await checkSbom(deep, db, { rejectAt: 'high' }))[0]).toMatchObject({
        code: 'sbom_malformed',
        message: 'objects and arrays nest deeper than 64',
      });
      const brackets = bytes(
        bom([
          lib(
            'pkg:npm/a@1.0.0',
            '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[',
          ),
        ]),
      );
      expect(accepted(await checkSbom(brackets, db, { rejectAt: 'high' })).components).toBe(1);

      const many = bytes(
        bom(Array.from({ length: 100_000 }, (_, i) => lib(`pkg:npm/p${i}@1.0.0`))),
      );
      const started = Date.now();
      expect(refused(await checkSbom(many, db, { rejectAt: 'high' }))[0]).toMatchObject({
        code: 'sbom_malformed',
        path: '/components',
        message: 'the SBOM holds more than 20000 components',
      });
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('sbom_unsupported: a bomFormat or specVersion this lib does not validate', async () => {
      for (const [extra, path] of [
        [{ bomFormat: 'SPDX' }, '/bomFormat'],
        [{ bomFormat: undefined }, '/bomFormat'],
        [{ specVersion: '1.1' }, '/specVersion'],
        [{ specVersion: '2.0' }, '/specVersion'],
        [{ specVersion: 1.5 }, '/specVersion'],
      ] as const) {
        const findings = refused(await checkSbom(bytes(bom([], extra)), db, { rejectAt: 'high' }));
        expect(findings).toEqual([expect.objectContaining({ code: 'sbom_unsupported', path })]);
      }
    });

    it('sbom_invalid: a finding with a path for what the CycloneDX schema refuses', async () => {
      const findings = refused(
        await checkSbom(bytes(bom([{ name: 'no-type', purl: 'pkg:npm/lodash@4.17.20' }])), db, {
          rejectAt: 'high',
        }),
      );
      expect(findings.length).toBeGreaterThan(0);
      for (const finding of findings) {
        expect(finding.code).toBe('sbom_invalid');
        expect(finding.path).toMatch(/^\/components\/0/);
      }
    });

    it('sbom_invalid: a member the strict schema does not know, at the root', async () => {
      const findings = refused(
        await checkSbom(bytes(bom([], { extra: 1 })), db, { rejectAt: 'high' }),
      );
      expect(findings).toEqual([
        expect.objectContaining({
          code: 'sbom_invalid',
          path: '',
          message: expect.stringContaining('extra'),
        }),
      ]);
    });

    // Before: the library's idn-email check cost about 37 µs a character; 16,000 authors of 245
    // characters held verification's event loop for a minute (found by a review).
    it('checks idn-email addresses in time linear in their length, any number of them', async () => {
      const address = `a@${'1.'.repeat(120)}com`;
      const authors = Array.from({ length: 16_000 }, () => ({ email: address }));
      accepted(
        await checkSbom(bytes(bom([], { metadata: { authors } })), db, { rejectAt: 'high' }),
      );
    });

    it.each([
      ['an address without @', 'nobody.example.org', false],
      ['an address with a space', 'a b@example.org', false],
      ['an address over 254 characters', `a@${'x'.repeat(253)}`, false],
      ['an internationalised address', 'josé@exämple.org', true],
    ])('idn-email: %s', async (_, email, valid) => {
      const check = await checkSbom(bytes(bom([], { metadata: { authors: [{ email }] } })), db, {
        rejectAt: 'high',
      });
      if (valid) accepted(check);
      else
        expect(refused(check)).toEqual([
          expect.objectContaining({ code: 'sbom_invalid', path: '/metadata/authors/0/email' }),
        ]);
    });

    it('validates every version from 1.2 to 1.7', async () => {
      for (const specVersion of ['1.2', '1.3', '1.4', '1.5', '1.6', '1.7'])
        accepted(
          await checkSbom(
            bytes(bom([lib('pkg:npm/a@1.0.0', 'a', { version: '1.0.0' })], { specVersion })),
            db,
            { rejectAt: 'high' },
          ),
        );
    });
  });

  it('fails closed: an unexpected fault while matching refuses the SBOM instead of throwing', async () => {
    const broken = {
      entriesFor: () => {
        throw new TypeError('boom');
      },
    } as unknown as OsvDatabase;
    const findings = refused(
      await checkSbom(await fixture('vulnerable.cdx.json'), broken, { rejectAt: 'high' }),
    );
    expect(findings).toEqual([
      { code: 'sbom_invalid', message: 'the SBOM could not be checked (TypeError)' },
    ]);
  });

  it('keeps plugin-controlled text printable and within the Finding limits', async () => {
    const purl = `pkg:npm/lodash@4.17.20#${'\u001b\ud800'.repeat(3000)}`;
    const check = accepted(
      await checkSbom(bytes(bom([lib(purl, 'lodash')])), db, { rejectAt: 'high' }),
    );
    const [finding] = check.blocking;
    expect(finding.value).toBe('CONVERGIO-SAMPLE-0001');
    expect(finding.message.length).toBeLessThanOrEqual(2000);
    expect(finding.message).not.toMatch(/[\u0000-\u001f\ud800]/);
    expect(finding.message).toContain('CONVERGIO-SAMPLE-0001');
    expect(finding.message).toContain('fixed in 4.17.21');
  });
});

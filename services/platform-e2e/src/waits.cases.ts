import { assemble } from './support/chaos-modules.js';
import {
  adminKey,
  api,
  bearer,
  createKey,
  greetManifest,
  runToolManifest,
  submit,
} from './support/fixtures.js';

// `?wait` answers as soon as the outcome is known and says whether the version runs; a number in
// a query is taken only in decimal digits within its range.

/** Approved (it asks for no permission) but never loads: its start function traps. */
const TRAPPING_START = `(module
  (memory (export "memory") 1)
  (func $boom unreachable)
  (start $boom)
  (func (export "run") (result i32) (i32.const 0)))`;

describe('waiting for a submitted version', () => {
  let publisher: string;

  beforeAll(async () => {
    publisher = await createKey('publisher');
  });

  it('answers as soon as the approved version failed to load, saying why', async () => {
    const module = await assemble(TRAPPING_START);
    const manifest = runToolManifest('trapping-start', module);
    const started = Date.now();
    const res = await submit(publisher, manifest, module).query({ wait: 60 }).expect(202);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(res.body).toEqual({
      plugin_id: manifest.id,
      version: '1.0.0',
      status: 'approved',
      loaded: false,
      load_failure: {
        reason: expect.any(String),
        message: expect.any(String),
        at: expect.any(String),
      },
      policy_violations: [],
      findings: [],
      settled: true,
    });
    const state = await api()
      .get(`/v1/plugins/${manifest.id}/versions/1.0.0`)
      .set(bearer(publisher))
      .expect(200);
    expect(state.body).toMatchObject({
      status: 'approved',
      loaded: false,
      load_failure: res.body.load_failure,
    });
  });

  it('answers a rejected version with the findings that say why', async () => {
    const manifest = greetManifest({ signing: { sha256: 'f'.repeat(64) } });
    const res = await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    expect(res.body).toMatchObject({ status: 'rejected', settled: true });
    expect(res.body.findings).toContainEqual(
      expect.objectContaining({ code: 'module_hash_mismatch', message: expect.any(String) }),
    );
  });

  it.each(['Infinity', '1e400', '1e1', '0x10', '+5', ' 5'])(
    'refuses ?wait=%s at once, naming wait and its range',
    async (wait) => {
      const manifest = runToolManifest('wait-text', await assemble(TRAPPING_START));
      const started = Date.now();
      const res = await submit(publisher, manifest).query({ wait }).expect(400);
      expect(Date.now() - started).toBeLessThan(5_000);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        details: [
          {
            message: 'wait must be an integer from 0 to 120, written in decimal digits',
            path: '/wait',
          },
        ],
      });
    },
  );
});

describe('numbers in the audit query', () => {
  it.each([
    ['limit', 'Infinity', 'limit must be an integer from 1 to 500, written in decimal digits'],
    ['limit', '1e2', 'limit must be an integer from 1 to 500, written in decimal digits'],
    ['after_seq', 'Infinity', 'after_seq must be an integer'],
    ['after_seq', '0x10', 'after_seq must be an integer'],
  ])('refuses %s=%s with 400 naming the parameter and its range', async (name, value, words) => {
    const res = await api()
      .get('/v1/audit')
      .query({ [name]: value })
      .set(bearer(adminKey()))
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ path: `/${name}`, message: expect.stringContaining(words) }),
    ]);
  });
});

describe("one plugin's versions, in pages", () => {
  it('pages the versions of GET /v1/plugins/{id} newest first, with a cursor to the rest', async () => {
    const publisher = await createKey('publisher');
    const first = greetManifest();
    await submit(publisher, first).expect(202);
    await submit(publisher, { ...first, version: '1.1.0' }).expect(202);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api()
        .get(`/v1/plugins/${first.id}`)
        .query({ limit: 1, ...(cursor ? { cursor } : {}) })
        .set(bearer(publisher))
        .expect(200);
      expect(res.body.versions).toHaveLength(1);
      seen.push(res.body.versions[0].version);
      cursor = res.body.next_cursor ?? undefined;
    } while (cursor !== undefined && seen.length < 5);
    expect(seen).toEqual(['1.1.0', '1.0.0']);
  });

  it("refuses another plugin's versions cursor, and a forged one naming a time PostgreSQL cannot", async () => {
    const publisher = await createKey('publisher');
    const [one, other] = [greetManifest(), greetManifest()];
    for (const manifest of [one, { ...one, version: '1.1.0' }, other])
      await submit(publisher, manifest).expect(202);
    const page = await api()
      .get(`/v1/plugins/${one.id}`)
      .query({ limit: 1 })
      .set(bearer(publisher))
      .expect(200);
    const cursor = page.body.next_cursor as string;
    const [list, scope, , version] = JSON.parse(Buffer.from(cursor, 'base64url').toString());
    const outOfRange = Buffer.from(
      JSON.stringify([list, scope, '-999999999999999999', version]),
    ).toString('base64url');
    for (const [id, refused] of [
      [other.id, cursor],
      [one.id, outOfRange],
    ]) {
      const res = await api()
        .get(`/v1/plugins/${id}`)
        .query({ cursor: refused })
        .set(bearer(publisher))
        .expect(400);
      expect(res.body.error.details).toEqual([
        expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' }),
      ]);
    }
    const rest = await api()
      .get(`/v1/plugins/${one.id}`)
      .query({ cursor })
      .set(bearer(publisher))
      .expect(200);
    const { versions } = rest.body as { versions: { version: string }[] };
    expect(versions.map((v) => v.version)).toEqual(['1.0.0']);
  });

  it.each([
    ['limit', '0', 'limit must be an integer from 1 to 500, written in decimal digits'],
    ['limit', '1e2', 'limit must be an integer from 1 to 500, written in decimal digits'],
    ['cursor', 'not a cursor', "must be the previous page's `next_cursor`"],
    ['version', '1.0.0', 'is not allowed: the known names are cursor, limit'],
  ])('refuses %s=%s with 400 naming the parameter', async (name, value, words) => {
    const res = await api()
      .get('/v1/plugins/e2e.some')
      .query({ [name]: value })
      .set(bearer(adminKey()))
      .expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual([
      expect.objectContaining({ message: expect.stringContaining(words) }),
    ]);
  });
});

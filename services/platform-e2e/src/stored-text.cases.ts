import { unescapeAuditText } from '@convergio/contracts';
import { expectEventually } from '@convergio/testing';
import { auditEvents } from './support/admin-keys.js';
import { adminKey, api, bearer, createKey, greetManifest, submit } from './support/fixtures.js';
import { callHost, denials as deniedTo, deployHostile } from './support/hostile.js';

/**
 * Text a plugin controls, with what PostgreSQL cannot store: a denial it provokes is still in the
 * audit log (escaped, loss-free), and a manifest carrying such text is refused with a code.
 */
describe('text PostgreSQL cannot store', () => {
  let invoker: string;
  let auditor: string;
  let publisher: string;

  beforeAll(async () => {
    [invoker, auditor, publisher] = await Promise.all([
      createKey('invoker'),
      createKey('auditor'),
      createKey('publisher'),
    ]);
  });

  it('records the denial of a path ending in a lone surrogate, so a plugin cannot erase it', async () => {
    const hostile = await deployHostile(publisher, { permissions: {} });
    // supertest sends "\ud800" as a JSON escape; every JSON.parse on the way turns it back.
    const out = await callHost(invoker, hostile, 'fs_read', { path: '/etc/\ud800' });
    expect(out.error).toMatchObject({ code: 'permission_denied', capability: 'fs.read' });
    const [denial] = await expectEventually(async () => {
      const found = await deniedTo(auditor, hostile);
      expect(found).toHaveLength(1);
      return found;
    });
    expect(denial.data.target).toMatch(/^\/etc\/.*\\ud800/);
    expect(unescapeAuditText(denial.data.target)).toContain('\ud800');
  });

  it.each([
    ['NUL in its name', { name: 'Gr\u0000eet' }, '/name'],
    ['a lone surrogate in its author', { author: 'Ada \udc00' }, '/author'],
  ])(
    'refuses a manifest with %s: 400 validation_failed naming the field',
    async (_w, fields, path) => {
      const res = await submit(publisher, greetManifest(fields)).expect(400);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'invalid_characters', path })],
      });
    },
  );

  it('still serves the gateway after those refusals', async () => {
    await api().get('/v1/plugins').set(bearer(publisher)).expect(200);
  });
});

/**
 * Text that reorders what a viewer shows (bidi overrides and isolates, CVE-2021-42574) or starts
 * a line in it (U+2028, U+2029): refused in names people read, escaped in the audit log.
 */
describe('text that reorders or breaks lines where people read it', () => {
  const HIDDEN = 'ci \u202egnp.exe\u2028api_key.revoked actor=bootstrap';
  let publisher: string;
  let auditor: string;

  beforeAll(async () => {
    [publisher, auditor] = await Promise.all([createKey('publisher'), createKey('auditor')]);
  });

  it.each([
    ['a bidi override', 'ops \u202etxt.exe', 'U+202E'],
    ['an isolate', 'ops \u2066x\u2069', 'U+2066'],
    ['a line separator', 'ops\u2028forged line', 'U+2028'],
    ['a zero-width space', 'o\u200bps', 'U+200B'],
    ['a right-to-left mark', 'ops\u200f', 'U+200F'],
    ['a byte order mark', '\ufeffops', 'U+FEFF'],
    ['a word joiner', 'op\u2060s', 'U+2060'],
    ['a soft hyphen', 'op\u00ads', 'U+00AD'],
    ['a tag character', 'ops\u{e0067}', 'U+E0067'],
  ])(
    'refuses an API key name with %s: 400 invalid_characters at /name, naming it',
    async (_w, name, character) => {
      const res = await api()
        .post('/v1/api-keys')
        .set(bearer(adminKey()))
        .send({ name, roles: ['invoker'] })
        .expect(400);
      expect(res.body.error.details).toEqual([
        expect.objectContaining({
          code: 'invalid_characters',
          path: '/name',
          message: expect.stringContaining(character),
        }),
      ]);
    },
  );

  it.each([
    ['a bidi override', 'safe \u202eexe.txt', 'U+202E'],
    ['a zero-width space', 'gr\u200beet', 'U+200B'],
  ])('refuses a manifest whose name holds %s, naming it', async (_w, name, character) => {
    const res = await submit(publisher, greetManifest({ name })).expect(400);
    expect(res.body.error.details).toEqual([
      expect.objectContaining({
        code: 'invalid_characters',
        path: '/name',
        message: expect.stringContaining(character),
      }),
    ]);
  });

  it('records a revocation reason holding them escaped, loss-free', async () => {
    const manifest = greetManifest();
    await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    await api()
      .post(`/v1/plugins/${manifest.id}/versions/1.0.0/revoke`)
      .set(bearer(adminKey()))
      .send({ reason: HIDDEN })
      .expect(200);
    const revoked = await expectEventually(async () => {
      const events = await auditEvents(auditor, { plugin_id: manifest.id });
      const found = events.find((e) => e.type === 'plugin.revoked');
      expect(found).toBeDefined();
      return found!;
    });
    const reason = revoked.data.reason as string;
    expect(reason).toBe('ci \\u202egnp.exe\\u2028api_key.revoked actor=bootstrap');
    expect(unescapeAuditText(reason)).toBe(HIDDEN);
    await api()
      .post('/v1/api-keys')
      .set(bearer(adminKey()))
      .send({ name: 'ops gnp.exe', roles: ['invoker'] })
      .expect(201);
  });
});

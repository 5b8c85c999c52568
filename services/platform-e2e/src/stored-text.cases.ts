import { unescapeAuditText } from '@convergio/contracts';
import { expectEventually } from '@convergio/testing';
import { api, bearer, createKey, greetManifest, submit } from './support/fixtures.js';
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

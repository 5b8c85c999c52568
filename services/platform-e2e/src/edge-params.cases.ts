import type { Response } from 'supertest';
import { adminKey, api, bearer, createKey } from './support/fixtures.js';

type Call = { method: 'get' | 'post' | 'put' | 'delete'; path: string; body?: object };

const badIds = ['BAD!', 'a..b', 'x'.repeat(300), '-lead', 'Upper.case'];
const badVersions = ['1.0', 'latest', `1.0.0-${'a'.repeat(80)}`, '01.0.0', '9007199254740992.0.0'];

/** Every route with a plugin id in its path, called with `id` (and a valid version). */
const withId = (id: string): Call[] => [
  { method: 'get', path: `/v1/plugins/${id}` },
  { method: 'get', path: `/v1/plugins/${id}/versions/1.0.0` },
  { method: 'put', path: `/v1/plugins/${id}/owner`, body: { publisher: 'someone' } },
  { method: 'post', path: `/v1/plugins/${id}/versions/1.0.0/revoke`, body: {} },
  { method: 'post', path: `/v1/plugins/${id}/invoke`, body: { function: 'f', input: {} } },
  {
    method: 'post',
    path: `/v1/plugins/${id}/invoke-batch`,
    body: { calls: [{ function: 'f', input: {} }] },
  },
  { method: 'post', path: `/v1/approvals/${id}/1.0.0/approve`, body: {} },
  { method: 'post', path: `/v1/approvals/${id}/1.0.0/reject`, body: { reason: 'no' } },
];
/** Every route with a version in its path, called with `version` (and a valid id). */
const withVersion = (version: string): Call[] => [
  { method: 'get', path: `/v1/plugins/e2e.some/versions/${version}` },
  { method: 'post', path: `/v1/plugins/e2e.some/versions/${version}/revoke`, body: {} },
  { method: 'post', path: `/v1/approvals/e2e.some/${version}/approve`, body: {} },
  { method: 'post', path: `/v1/approvals/e2e.some/${version}/reject`, body: { reason: 'no' } },
];

/**
 * Path and query parameters are checked at the gateway against what the contracts and the database
 * accept, and refused with the field's public name; none reaches a service unchecked.
 */
describe('parameters are checked at the edge', () => {
  let auditor: string;

  beforeAll(async () => {
    auditor = await createKey('auditor');
  });

  const call = ({ method, path, body }: Call) => {
    const req = api()[method](path).set(bearer(adminKey()));
    return body ? req.send(body) : req;
  };

  /** A 400 naming `field` in words, never an internal request name. */
  function expectRefused(res: Response, field: string) {
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain(field);
    expect(res.body.error.message).not.toMatch(/registry\.|approval\.|executor\.|audit\./);
  }

  it.each(badIds.flatMap((id) => withId(encodeURIComponent(id)).map((c) => [id, c] as const)))(
    'refuses the plugin id %j in the path: %j',
    async (_id, c) => expectRefused(await call(c), 'plugin id'),
  );

  it.each(
    badVersions.flatMap((v) => withVersion(encodeURIComponent(v)).map((c) => [v, c] as const)),
  )('refuses the version %j in the path: %j', async (_v, c) =>
    expectRefused(await call(c), 'version'),
  );

  it('refuses an invoke naming a version that is not semver, with the field', async () => {
    const res = await call({
      method: 'post',
      path: '/v1/plugins/e2e.some/invoke',
      body: { function: 'f', input: {}, version: 'latest' },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.details).toContainEqual(expect.objectContaining({ path: '/version' }));
  });

  it.each(['not-a-uuid', '1', `${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(13)}`])(
    'refuses the API key id %j in the path, naming it',
    async (id) =>
      expectRefused(await call({ method: 'delete', path: `/v1/api-keys/${id}` }), 'API key id'),
  );

  it.each([
    ['after_seq', '99999999999999999999'],
    ['after_seq', '9223372036854775808'],
    ['after_seq', '9007199254740993'],
    ['after_seq', '-1'],
    ['after_seq', '1.5'],
    ['after_seq', 'abc'],
    ['limit', '0'],
    ['limit', '501'],
    ['limit', '99999999999999999999'],
    ['plugin_id', 'BAD!'],
    ['version', 'latest'],
    ['type', 'x'.repeat(101)],
  ])('refuses the audit query %s=%s with 400 naming the field, not 500', async (field, value) => {
    const res = await api()
      .get('/v1/audit')
      .query({ [field]: value })
      .set(bearer(auditor));
    expectRefused(res, 'audit query');
    expect(JSON.stringify(res.body.error.details)).toContain(`/${field}`);
  });

  it.each([
    ['/v1/plugins', 'owner'],
    ['/v1/tools', 'plugin_id'],
    ['/v1/api-keys', 'revoked'],
    ['/v1/signers', 'status'],
    ['/v1/audit/verify', 'from'],
    ['/v1/plugins/e2e.some', 'version'],
  ])(
    'refuses a query parameter %s does not read (%s) instead of answering unfiltered',
    async (path, name) => {
      const res = await api()
        .get(path)
        .query({ [name]: 'x' })
        .set(bearer(adminKey()));
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details).toContainEqual(
        expect.objectContaining({
          path: `/${name}`,
          message: expect.stringContaining('not allowed'),
        }),
      );
    },
  );

  it('refuses an audit type that is not an event type, listing those that are', async () => {
    const res = await api()
      .get('/v1/audit')
      .query({ type: 'plugin.aproved' })
      .set(bearer(auditor))
      .expect(400);
    expect(res.body.error.details).toContainEqual(
      expect.objectContaining({
        code: 'schema.enum',
        path: '/type',
        message: expect.stringContaining('"plugin.approved"'),
      }),
    );
  });

  it('names the filters the audit query takes when given another', async () => {
    const res = await api().get('/v1/audit').query({ actr: 'k' }).set(bearer(auditor)).expect(400);
    expect(res.body.error.details).toContainEqual(
      expect.objectContaining({
        path: '/actr',
        message: expect.stringMatching(/known names are .*plugin_id.*actor/),
      }),
    );
  });

  it.each([
    [
      { method: 'get', path: '/v1/audit?plugin_id=BAD!' },
      '/plugin_id',
      'must be lowercase letters, digits and dashes in up to 8 dot-separated labels',
    ],
    [
      { method: 'put', path: '/v1/plugins/e2e.some/owner', body: { publisher: 'BAD PUB' } },
      '/publisher',
      'must be a publisher name: 1 to 63 lowercase letters, digits and dashes',
    ],
    [
      {
        method: 'post',
        path: '/v1/api-keys',
        body: { name: 'x', roles: ['publisher'], publisher: 'BAD PUB' },
      },
      '/publisher',
      'must be a publisher name: 1 to 63 lowercase letters, digits and dashes',
    ],
    [
      { method: 'put', path: '/v1/plugins/e2e.some/signer', body: { signer_id: 'BAD!' } },
      '/signer_id',
      'must be letters, digits, dots, dashes and underscores',
    ],
  ] as const)(
    'says in words what %j takes, once, not as a regular expression',
    async (c, path, words) => {
      const res = await call(c as Call).expect(400);
      expect(res.body.error.details).toEqual([
        { code: 'schema.pattern', path, message: expect.stringContaining(words) },
      ]);
    },
  );

  it('pages the audit log from the largest after_seq it accepts', async () => {
    const res = await api()
      .get('/v1/audit')
      .query({ after_seq: String(Number.MAX_SAFE_INTEGER) })
      .set(bearer(auditor))
      .expect(200);
    expect(res.body).toEqual({ events: [], next_after_seq: null, next_cursor: null });
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a lone surrogate', 'a\ud800b'],
    ['terminal escapes and a line break', '\u001b[2J\u001b[31mRED\r\nPWNED'],
    ['a C1 control', 'key\u009b'],
  ])(
    'refuses an API key name holding %s with 400 invalid_characters, not 500',
    async (_w, name) => {
      const res = await api()
        .post('/v1/api-keys')
        .set(bearer(adminKey()))
        .send({ name, roles: ['invoker'] })
        .expect(400);
      expect(res.body.error.details).toContainEqual(
        expect.objectContaining({ code: 'invalid_characters', path: '/name' }),
      );
      const keys = await api().get('/v1/api-keys').set(bearer(adminKey())).expect(200);
      expect((keys.body.keys as { name: string }[]).map((k) => k.name)).not.toContain(name);
    },
  );

  it.each([
    ['a revoke reason', '/v1/plugins/e2e.some/versions/1.0.0/revoke', { reason: 'a\u0000b' }],
    ['a reject reason', '/v1/approvals/e2e.some/1.0.0/reject', { reason: 'a\u0000b' }],
    ['an approve note', '/v1/approvals/e2e.some/1.0.0/approve', { note: 'a\ud800b' }],
  ])('refuses %s the database cannot store, naming the field', async (_w, path, body) => {
    const res = await api().post(path).set(bearer(adminKey())).send(body).expect(400);
    expect(res.body.error.details).toContainEqual(
      expect.objectContaining({ code: 'invalid_characters', path: `/${Object.keys(body)[0]}` }),
    );
  });

  it('still passes text the database can store to the plugin as input', async () => {
    const res = await call({
      method: 'post',
      path: '/v1/plugins/e2e.unknown-plugin/invoke',
      body: { function: 'f', input: { text: 'a\u0000b\ud800' } },
    });
    expect(res.status).toBe(404);
  });
});

/** A cursor written by the client, in the form the lists hand out (base64url of JSON). */
const forged = (parts: string[]) => Buffer.from(JSON.stringify(parts)).toString('base64url');
const OLDEST_MICROS = '-62135596800000000'; // 0001-01-01T00:00:00Z
const SOME_KEY = '00000000-0000-4000-8000-000000000000';

// A cursor is base64url JSON: a client can write one naming a position no list handed out. What
// the database cannot take (NUL, a lone surrogate, a time before 4713 BC) got a 500 from it.
describe('forged page cursors', () => {
  it.each([
    ['/v1/plugins', ['plugins', '\u0000']],
    ['/v1/plugins', ['plugins', 'a\ud800']],
    ['/v1/approvals', ['approvals', '-999999999999999999', 'e2e.some', '1.0.0']],
    ['/v1/approvals', ['approvals', String(BigInt(OLDEST_MICROS) - 1n), 'e2e.some', '1.0.0']],
    ['/v1/approvals', ['approvals', '253402300800000000', 'e2e.some', '1.0.0']],
    ['/v1/approvals', ['approvals', '1796193159798000', 'e2e.\u0000', '1.0.0']],
    ['/v1/signers', ['signers', '\u0000']],
    ['/v1/api-keys', ['api-keys', '-999999999999999999', SOME_KEY]],
  ])(
    'refuses on %s a cursor naming %j with 400 invalid_cursor; the list still serves',
    async (path, parts) => {
      const res = await api()
        .get(path)
        .query({ cursor: forged(parts) })
        .set(bearer(adminKey()))
        .expect(400);
      expect(res.body.error).toMatchObject({
        code: 'validation_failed',
        details: [expect.objectContaining({ code: 'invalid_cursor', path: '/cursor' })],
      });
      await api().get(path).set(bearer(adminKey())).expect(200);
    },
  );

  it('takes a forged cursor naming the oldest time a list may hold', async () => {
    const res = await api()
      .get('/v1/api-keys')
      .query({ cursor: forged(['api-keys', OLDEST_MICROS, SOME_KEY]) })
      .set(bearer(adminKey()))
      .expect(200);
    expect(res.body.keys.length).toBeGreaterThan(0);
  });
});

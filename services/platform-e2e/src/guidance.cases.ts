import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { expectEventually } from '@convergio/testing';
import {
  adminKey,
  api,
  bearer,
  createKey,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';
import { platform } from './support/platform.js';

/** Errors that say what to do, and answers to state changes that show the state they made. */
describe('errors say what to do; changes answer with the new state', () => {
  let publisher: string;
  let invoker: string;

  beforeAll(async () => {
    [publisher, invoker] = await Promise.all([createKey('publisher'), createKey('invoker')]);
  });

  it('lists the allowed roles once for a role that does not exist', async () => {
    const res = await api()
      .post('/v1/api-keys')
      .set(bearer(adminKey()))
      .send({ name: 'x', roles: ['root'] })
      .expect(400);
    expect(res.body.error.details).toEqual([
      {
        code: 'schema.enum',
        message: 'must be one of "admin", "publisher", "invoker", "auditor"',
        path: '/roles/0',
      },
    ]);
  });

  it.each([
    ['the approval queue status', '/v1/approvals', { status: 'waiting' }, '/status'],
    ['a trust level', '/v1/approvals/e2e.some/1.0.0/approve', { trust: 'root' }, '/trust'],
  ])('lists the allowed values of %s once', async (_w, path, input, field) => {
    const req = path.endsWith('approve')
      ? api().post(path).send(input)
      : api().get(path).query(input);
    const res = await req.set(bearer(adminKey())).expect(400);
    const details = (res.body.error.details as { path: string; message: string }[]).filter(
      (d) => d.path === field,
    );
    expect(details).toHaveLength(1);
    expect(details[0].message).toMatch(/^must be one of "/);
    expect(res.body.error.message).not.toContain('must be equal to constant');
  });

  it('names every role that would pass, the admin role included, and the roles the key has', async () => {
    const res = await api().get('/v1/audit').set(bearer(publisher)).expect(403);
    expect(res.body.error.message).toContain('auditor');
    expect(res.body.error.message).toContain('admin');
    expect(res.body.error.message).toContain('publisher');
    const submitAs = await submit(invoker, greetManifest()).expect(403);
    expect(submitAs.body.error.message).toContain('publisher');
  });

  it('answers a revocation with the revoked state', async () => {
    const manifest = greetManifest();
    await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    const approved = await versionState(publisher, manifest.id);
    expect(approved).toMatchObject({ status: 'approved', loaded: true });

    const res = await api()
      .post(`/v1/plugins/${manifest.id}/versions/1.0.0/revoke`)
      .set(bearer(adminKey()))
      .send({ reason: 'compromised' })
      .expect(200);

    expect(res.body).toMatchObject({ status: 'revoked', loaded: false, loaded_on: [] });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThan(
      Date.parse((approved as unknown as { updated_at: string }).updated_at),
    );
    await expectEventually(async () =>
      expect(await versionState(publisher, manifest.id)).toMatchObject({
        status: 'revoked',
        loaded: false,
      }),
    );
  });

  it('answers an approval and a rejection with the decided review', async () => {
    const risky = () =>
      greetManifest({
        permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
      });
    const [a, b] = [risky(), risky()];
    for (const m of [a, b]) await submit(publisher, m).query({ wait: 60 }).expect(202);
    const approved = await api()
      .post(`/v1/approvals/${a.id}/1.0.0/approve`)
      .set(bearer(adminKey()))
      .send({ note: 'fine' })
      .expect(200);
    expect(approved.body).toMatchObject({ status: 'approved', note: 'fine' });
    expect(approved.body.decided_by).toEqual(expect.any(String));
    const rejected = await api()
      .post(`/v1/approvals/${b.id}/1.0.0/reject`)
      .set(bearer(adminKey()))
      .send({ reason: 'no' })
      .expect(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', note: 'no' });
  });

  it('answers a key revocation with the revoked key, and a second one with 409', async () => {
    const created = await api()
      .post('/v1/api-keys')
      .set(bearer(adminKey()))
      .send({ name: 'short-lived', roles: ['invoker'] })
      .expect(201);
    const res = await api()
      .delete(`/v1/api-keys/${created.body.id}`)
      .set(bearer(adminKey()))
      .expect(200);
    expect(res.body).toMatchObject({
      id: created.body.id,
      name: 'short-lived',
      roles: ['invoker'],
      revoked_at: expect.any(String),
    });
    expect(res.body).not.toHaveProperty('key');
    const again = await api()
      .delete(`/v1/api-keys/${created.body.id}`)
      .set(bearer(adminKey()))
      .expect(409);
    expect(again.body.error.code).toBe('invalid_state');
  });
});

/**
 * A path that exists, asked with a method it does not take, is a 405 naming the methods it does
 * take (in the message and the Allow header), on every service's HTTP port; an unknown path
 * stays a 404.
 */
describe('a method a path does not take', () => {
  const gatewayLog = () => readFileSync(join(platform().logsDir, 'gateway.log'), 'utf8');

  it.each([
    ['delete', '/v1/tools', 'GET, HEAD'],
    ['put', '/v1/plugins', 'GET, HEAD, POST'],
    ['put', '/v1/approvals/e2e.some/1.0.0/approve', 'POST'],
    ['get', '/v1/plugins/e2e.some/invoke', 'POST'],
  ] as const)(
    'answers %s %s with 405 and Allow: %s, before any key is asked for',
    async (method, path, allow) => {
      const res = await api()[method](path).expect(405);
      expect(res.headers.allow).toBe(allow);
      expect(res.text.endsWith('}\n')).toBe(true);
      expect(res.body).toEqual({
        error: {
          code: 'method_not_allowed',
          message: expect.stringContaining(`it takes ${allow}`),
          details: [],
        },
      });
    },
  );

  it('logs the 405 like any answer, and leaves HEAD of a GET route and unknown paths alone', async () => {
    const key = await createKey('invoker');
    await api().head('/v1/tools').set(bearer(key)).expect(200);
    const unknown = await api().delete('/v1/nothing-here').set(bearer(key)).expect(404);
    expect(unknown.body.error.code).toBe('not_found');
    expect(unknown.headers.allow).toBeUndefined();
    await api().patch('/v1/tools').expect(405);
    await expectEventually(() =>
      expect(gatewayLog()).toMatch(/"method":"PATCH","route":"\(no route\)","status":405/),
    );
  });

  it.each(['registry', 'executor', 'audit'])(
    'answers on the %s port too (POST /healthz: GET, HEAD)',
    async (service) => {
      const res = await request(platform().serviceUrls[service]).post('/healthz').expect(405);
      expect(res.headers.allow).toBe('GET, HEAD');
      expect(res.body.error.code).toBe('method_not_allowed');
      await request(platform().serviceUrls[service]).post('/nothing-here').expect(404);
    },
  );
});

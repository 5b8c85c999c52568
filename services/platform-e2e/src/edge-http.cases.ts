import { connect } from 'node:net';
import { expectEventually } from '@convergio/testing';
import { auditEvents, issueKey, type IssuedKey } from './support/admin-keys.js';
import { api, bearer, createKey } from './support/fixtures.js';
import { gatewayAccessRecords } from './support/access-log.js';
import { platform } from './support/platform.js';

/** Writes `raw` on a new connection to the gateway; answers what came back before it closed. */
function exchange(raw: string | Buffer): Promise<string> {
  const url = new URL(platform().gatewayUrl);
  return new Promise((resolve) => {
    let out = '';
    const socket = connect(Number(url.port), url.hostname, () => socket.write(raw));
    socket.on('data', (d) => (out += d.toString()));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

/** The status line's code and the JSON error of a raw answer. */
function answerOf(response: string) {
  const body = response.slice(response.indexOf('\r\n\r\n') + 4);
  expect(body.endsWith('}\n')).toBe(true);
  return {
    status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(response)?.[1]),
    error: (JSON.parse(body) as { error: { code: string; details: { code: string }[] } }).error,
  };
}

/** Requests the gateway answered bare, let through or read leniently (a second attack round). */
describe('requests at the edge of HTTP', () => {
  let admin: IssuedKey;
  let auditor: IssuedKey;

  beforeAll(async () => {
    [admin, auditor] = await Promise.all([issueKey(['admin']), issueKey(['auditor'])]);
  });

  it.each([
    [
      'an HTTP/1.1 request without Host',
      'GET /v1/tools HTTP/1.1\r\n\r\n',
      400,
      'missing_host',
      'GET',
    ],
    [
      'an Expect other than 100-continue',
      'GET /v1/tools HTTP/1.1\r\nHost: x\r\nExpect: foo\r\n\r\n',
      417,
      'expectation_failed',
      'GET',
    ],
    [
      'a CONNECT',
      'CONNECT x:80 HTTP/1.1\r\nHost: x:80\r\n\r\n',
      400,
      'connect_not_served',
      'CONNECT',
    ],
  ])(
    'answers %s in the error shape, with an access-log line',
    async (_what, raw, status, code, method) => {
      const before = gatewayAccessRecords().length;
      const answer = answerOf(await exchange(raw));
      expect(answer).toEqual({
        status,
        error: {
          code: 'bad_request',
          message: expect.any(String),
          details: [{ code, message: expect.any(String) }],
        },
      });
      await expectEventually(() =>
        expect(gatewayAccessRecords().slice(before)).toContainEqual(
          expect.objectContaining({ method, status }),
        ),
      );
    },
  );

  it('refuses a request with two Authorization headers, creating nothing, and takes it with one', async () => {
    const invoker = await createKey('invoker');
    const body = JSON.stringify({ name: 'two-authorizations', roles: ['admin'] });
    const request = (authorization: string) =>
      'POST /v1/api-keys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      `${authorization}Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    const refused = answerOf(
      await exchange(
        request(`Authorization: Bearer ${admin.key}\r\nAuthorization: Bearer ${invoker}\r\n`),
      ),
    );
    expect(refused).toMatchObject({
      status: 400,
      error: { details: [{ code: 'duplicate_header' }] },
    });
    const names = async () =>
      (
        (await api().get('/v1/api-keys').query({ limit: 500 }).set(bearer(admin.key)).expect(200))
          .body.keys as { name: string }[]
      ).map((k) => k.name);
    expect(await names()).not.toContain('two-authorizations');
    expect(await exchange(request(`Authorization: Bearer ${admin.key}\r\n`))).toMatch(
      /^HTTP\/1\.1 201 /,
    );
    expect(await names()).toContain('two-authorizations');
  });

  it('refuses a rotation sent with a body, rotating nothing, then rotates without one', async () => {
    const key = await issueKey(['invoker']);
    const res = await api()
      .post(`/v1/api-keys/${key.id}/rotate`)
      .set(bearer(admin.key))
      .send({ roles: ['auditor'] })
      .expect(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ code: 'body_not_taken' })]);
    // Not told to send JSON instead: the route takes no body of any type.
    const text = await api()
      .post(`/v1/api-keys/${key.id}/rotate`)
      .set(bearer(admin.key))
      .set('Content-Type', 'text/plain')
      .send('roles=auditor')
      .expect(400);
    expect(text.body.error).toMatchObject({
      code: 'bad_request',
      details: [expect.objectContaining({ code: 'body_not_taken' })],
    });
    await api().delete(`/v1/api-keys/${key.id}`).set(bearer(admin.key)).send({}).expect(400);
    // The old secret alone still works: nothing was rotated or revoked.
    await api().get('/v1/tools').set(bearer(key.key)).expect(200);
    await api().post(`/v1/api-keys/${key.id}/rotate`).set(bearer(admin.key)).expect(200);
    await expectEventually(async () => {
      const rotated = (await auditEvents(auditor.key, { type: 'api_key.rotated' })).filter(
        (e) => e.data.key_id === key.id,
      );
      expect(rotated).toHaveLength(1);
    });
  });

  it('refuses a query value whose percent-encoding is not UTF-8 with 400 bad_url, as in a path', async () => {
    const res = await api().get('/v1/audit?actor=%ff').set(bearer(auditor.key)).expect(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ code: 'bad_url' })]);
    await api().get('/v1/audit?actor=%C3%A9').set(bearer(auditor.key)).expect(200);
  });
});

import { request as httpRequest } from 'node:http';
import { expectEventually } from '@convergio/testing';
import {
  adminKey,
  api,
  bearer,
  createKey,
  greetManifest,
  greetModule,
  submit,
  versionState,
} from './support/fixtures.js';
import { gatewayAccessRecords } from './support/access-log.js';
import { allKeyNames } from './support/admin-keys.js';
import { platform } from './support/platform.js';

/** A raw GET, so that no client re-encodes the path. */
function rawGet(path: string): Promise<{ status: number; text: string }> {
  const url = new URL(platform().gatewayUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Requests the gateway used to misread or answer in another shape (found by an attack review). */
describe('bodies, paths and keys at the edge', () => {
  let publisher: string;
  let invoker: string;

  beforeAll(async () => {
    [publisher, invoker] = await Promise.all([createKey('publisher'), createKey('invoker')]);
  });

  it('refuses a form-encoded approval with 415 naming application/json, approving nothing, then takes the JSON one', async () => {
    const manifest = greetManifest({
      permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
    });
    await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    expect((await versionState(publisher, manifest.id)).status).toBe('pending_approval');
    const approve = () =>
      api().post(`/v1/approvals/${manifest.id}/1.0.0/approve`).set(bearer(adminKey()));

    // What `curl -d '{...}'` sends: the JSON text as application/x-www-form-urlencoded.
    const refused = await approve()
      .type('form')
      .send('{"trust":"untrusted","note":"x"}')
      .expect(415);
    expect(refused.body.error).toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringContaining('Content-Type: application/json'),
      details: [{ code: 'content_type', message: 'send Content-Type: application/json' }],
    });
    expect(refused.body.error.message).toContain(
      'this request is application/x-www-form-urlencoded',
    );
    for (const type of ['text/plain', 'application/vnd.api+json'])
      await approve().set('Content-Type', type).send('{"note":"x"}').expect(415);
    expect((await versionState(publisher, manifest.id)).status).toBe('pending_approval');

    const approved = await approve().send({ note: 'read as JSON' }).expect(200);
    expect(approved.body).toMatchObject({ status: 'approved', note: 'read as JSON' });
  });

  it('refuses an approval with a byte order mark or in UTF-16 with 400 saying so, approving nothing', async () => {
    const manifest = greetManifest({
      permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
    });
    await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    // The bytes as given: superagent would write a Buffer out as JSON.
    const approve = (bytes: Buffer) =>
      api()
        .post(`/v1/approvals/${manifest.id}/1.0.0/approve`)
        .set(bearer(adminKey()))
        .set('Content-Type', 'application/json')
        .serialize(() => bytes as unknown as string)
        .send(bytes);
    const json = '{"note":"x"}';

    const marked = await approve(
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(json)]),
    ).expect(400);
    expect(marked.body.error).toEqual({
      code: 'bad_request',
      message:
        'the JSON body starts with a byte order mark (the bytes EF BB BF): send it without one (RFC 8259 §8.1)',
      details: [],
    });
    const utf16 = await approve(
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(json, 'utf16le')]),
    ).expect(400);
    expect(utf16.body.error.message).toBe(
      'the JSON body is in UTF-16LE: send it in UTF-8 (RFC 8259 §8.1)',
    );
    expect((await versionState(publisher, manifest.id)).status).toBe('pending_approval');
  });

  it('refuses a revocation whose reason is not JSON, revoking nothing; the JSON one keeps its reason', async () => {
    const manifest = greetManifest();
    await submit(publisher, manifest).query({ wait: 60 }).expect(202);
    const revoke = () =>
      api().post(`/v1/plugins/${manifest.id}/versions/1.0.0/revoke`).set(bearer(adminKey()));
    await revoke().type('form').send('{"reason":"compromised"}').expect(415);
    await revoke().set('Content-Type', ';;;').send('{"reason":"compromised"}').expect(415);
    expect(await versionState(publisher, manifest.id)).toMatchObject({ status: 'approved' });
    // A bystander: the approved version still runs.
    await api()
      .post(`/v1/plugins/${manifest.id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);

    await revoke().send({ reason: 'compromised' }).expect(200);
    // The audit service records the event once it comes off the bus.
    await expectEventually(async () => {
      const audit = await api()
        .get('/v1/audit')
        .query({ plugin_id: manifest.id, limit: 100 })
        .set(bearer(adminKey()))
        .expect(200);
      const revoked = (audit.body.events as { type: string; data: { reason?: string } }[]).find(
        (e) => e.type === 'plugin.revoked',
      );
      expect(revoked?.data.reason).toBe('compromised');
    });
  });

  it('answers a path that does not decode in the error shape, with a newline and an access-log line', async () => {
    for (const path of ['/v1/plugins/%zz', '/v1/plugins/%', '/v1/plugins/%ED%A0%80']) {
      const res = await rawGet(path);
      expect(res.status).toBe(400);
      expect(res.text.endsWith('}\n')).toBe(true);
      expect(res.text).not.toContain('FST_');
      expect(JSON.parse(res.text)).toMatchObject({
        error: { code: 'bad_request', details: [{ code: 'bad_url' }] },
      });
    }
    await expectEventually(() =>
      expect(
        gatewayAccessRecords().filter((r) => r.route === '(no route)' && r.status === 400),
      ).toHaveLength(3),
    );
    // A bystander on the same route.
    await api().get('/v1/plugins/e2e.nothing-here').set(bearer(invoker)).expect(404);
  });

  it('refuses a version semver cannot order at the gateway, naming /version and the bound', async () => {
    const manifest = greetManifest({ version: '100000000000000000000.0.0' });
    const res = await submit(publisher, manifest).expect(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.details).toEqual([
      expect.objectContaining({
        path: '/version',
        message: expect.stringContaining('at most 9007199254740991'),
      }),
    ]);
    await api().get(`/v1/plugins/${manifest.id}`).set(bearer(invoker)).expect(404);
  });

  /** A submission's multipart body with each part's headers exactly as given. */
  function rawSubmission(parts: { headers: string[]; body: Buffer }[]) {
    const boundary = 'e2e-b0undary';
    const body = Buffer.concat([
      ...parts.flatMap((p) => [
        Buffer.from(`--${boundary}\r\n${p.headers.join('\r\n')}\r\n\r\n`),
        p.body,
        Buffer.from('\r\n'),
      ]),
      Buffer.from(`--${boundary}--\r\n`),
    ]);
    return api()
      .post('/v1/plugins')
      .set(bearer(publisher))
      .set('Content-Type', `multipart/form-data; boundary=${boundary}`)
      .send(body);
  }
  const modulePart = () => ({
    headers: [
      'Content-Disposition: form-data; name="module"; filename="plugin.wasm"',
      'Content-Type: application/octet-stream',
    ],
    body: greetModule(),
  });

  it('reads a manifest text field typed application/json as the text sent', async () => {
    const manifest = greetManifest();
    await rawSubmission([
      {
        headers: [
          'Content-Disposition: form-data; name="manifest"',
          'Content-Type: application/json',
        ],
        body: Buffer.from(JSON.stringify(manifest)),
      },
      modulePart(),
    ]).expect(202);
    await api().get(`/v1/plugins/${manifest.id}`).set(bearer(invoker)).expect(200);
  });

  it('refuses a part with a Content-Transfer-Encoding with 415 rather than reading it undecoded', async () => {
    const manifest = greetManifest();
    const res = await rawSubmission([
      {
        headers: [
          'Content-Disposition: form-data; name="manifest"; filename="plugin.json"',
          'Content-Transfer-Encoding: base64',
        ],
        body: Buffer.from(Buffer.from(JSON.stringify(manifest)).toString('base64')),
      },
      modulePart(),
    ]).expect(415);
    expect(res.body.error).toMatchObject({
      code: 'unsupported_media_type',
      message: expect.stringContaining(
        'the multipart part "manifest" has Content-Transfer-Encoding: base64',
      ),
      details: [{ code: 'content_transfer_encoding' }],
    });
    await api().get(`/v1/plugins/${manifest.id}`).set(bearer(invoker)).expect(404);
  });

  it('refuses a gzip-encoded submission with 415 naming the encoding, storing nothing', async () => {
    const manifest = greetManifest();
    const res = await submit(publisher, manifest).set('Content-Encoding', 'gzip').expect(415);
    expect(res.body.error.code).toBe('unsupported_media_type');
    expect(res.body.error.message).toContain('Content-Encoding: gzip');
    await api().get(`/v1/plugins/${manifest.id}`).set(bearer(invoker)).expect(404);
  });

  // JSON.parse keeps the last of a repeated key, a reviewer or proxy reading the text the first.
  it('refuses a JSON body naming a key twice with 400 duplicate_key, creating nothing', async () => {
    const name = `dup-${Date.now()}`;
    const res = await api()
      .post('/v1/api-keys')
      .set(bearer(adminKey()))
      .set('Content-Type', 'application/json')
      .send(`{"name":"${name}","roles":["invoker"],"\\u0072oles":["admin"]}`)
      .expect(400);
    expect(res.body.error.details).toEqual([expect.objectContaining({ code: 'duplicate_key' })]);
    const invoked = await api()
      .post('/v1/plugins/e2e.some/invoke')
      .set(bearer(adminKey()))
      .set('Content-Type', 'application/json')
      .send('{"function":"nope","function":"greet","input":{}}')
      .expect(400);
    expect(invoked.body.error.details[0].code).toBe('duplicate_key');
    await api()
      .post('/v1/api-keys')
      .set(bearer(adminKey()))
      .send({ name, roles: ['invoker'] })
      .expect(201);
    expect((await allKeyNames(adminKey())).filter((n) => n === name)).toHaveLength(1);
  });

  it('takes the bearer scheme in any case', async () => {
    for (const scheme of ['bearer', 'BEARER'])
      await api().get('/v1/tools').set('Authorization', `${scheme} ${invoker}`).expect(200);
  });

  it('names only the publisher role, and how to get such a key, when a key cannot submit', async () => {
    for (const key of [invoker, adminKey()]) {
      const res = await submit(key, greetManifest()).expect(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(res.body.error.message).toContain('needs a key with the role publisher');
      expect(res.body.error.message).not.toMatch(/roles [a-z]+, admin/);
      expect(res.body.error.message).toContain('"roles": ["publisher"]');
    }
  });
});

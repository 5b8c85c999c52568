import { expectEventually, sha256Hex } from '@convergio/testing';
import {
  adminKey,
  api,
  auditTypes,
  bearer,
  createKey,
  greetManifest,
  greetModule,
  submit,
  versionState,
} from './support/fixtures.js';

describe('bad input is refused and changes nothing', () => {
  let publisher: string;
  let invoker: string;
  let auditor: string;

  beforeAll(async () => {
    [publisher, invoker, auditor] = await Promise.all([
      createKey('publisher'),
      createKey('invoker'),
      createKey('auditor'),
    ]);
  });

  it('answers 401 without a key or with an unknown one', async () => {
    const none = await api().get('/v1/plugins').expect(401);
    expect(none.body.error).toMatchObject({ code: 'unauthorized' });
    await api().get('/v1/plugins').set(bearer('cvg_not_a_real_key')).expect(401);
    await api().get('/v1/plugins').set({ Authorization: 'Basic abc' }).expect(401);
  });

  it('answers 403 to a key without the role, and submits nothing', async () => {
    const manifest = greetManifest();
    const res = await submit(invoker, manifest).expect(403);
    expect(res.body.error.code).toBe('forbidden');
    await api().get(`/v1/plugins/${manifest.id}`).set(bearer(publisher)).expect(404);
    await api().get('/v1/audit').set(bearer(invoker)).expect(403);
    await api().get('/v1/approvals').set(bearer(publisher)).expect(403);
  });

  it('refuses a revoked key', async () => {
    const created = await api()
      .post('/v1/api-keys')
      .set(bearer(adminKey()))
      .send({ name: 'short-lived', roles: ['invoker'] })
      .expect(201);
    await api().get('/v1/plugins').set(bearer(created.body.key)).expect(200);
    await api().delete(`/v1/api-keys/${created.body.id}`).set(bearer(adminKey())).expect(200);
    await api().get('/v1/plugins').set(bearer(created.body.key)).expect(401);
  });

  it('answers 400 to malformed JSON', async () => {
    const res = await api()
      .post('/v1/plugins/e2e.any/invoke')
      .set(bearer(invoker))
      .set('Content-Type', 'application/json')
      .send('{"function": "greet",')
      .expect(400);
    expect(res.body.error.code).toBe('bad_request');
  });

  it('answers 400 listing every problem of a manifest with missing fields, and stores nothing', async () => {
    const manifest = greetManifest();
    const id = manifest.id;
    const { author, license, signing, ...incomplete } = manifest;
    const res = await submit(publisher, { ...incomplete, entrypoint: '../escape.wasm' }).expect(
      400,
    );
    expect(res.body.error.code).toBe('validation_failed');
    expect((res.body.error.details as { path: string }[]).map((d) => d.path)).toEqual(
      expect.arrayContaining(['/author', '/license', '/signing', '/entrypoint']),
    );
    await api().get(`/v1/plugins/${id}`).set(bearer(publisher)).expect(404);
    expect(await auditTypes(auditor, id)).toEqual([]);
  });

  it('answers 400 to a plugin.json that is not JSON, and to a missing module', async () => {
    expect((await submit(publisher, '{not json').expect(400)).body.error.code).toBe('bad_request');
    const res = await api()
      .post('/v1/plugins')
      .set(bearer(publisher))
      .attach('manifest', Buffer.from(JSON.stringify(greetManifest())), 'plugin.json')
      .expect(400);
    expect(res.body.error.message).toContain('module');
  });

  it('answers 400 naming a part it does not take, however many text fields come', async () => {
    const res = await submit(publisher, greetManifest())
      .field('comment', 'a')
      .field('other', 'b')
      .field('third', 'c')
      .field('fourth', 'd')
      .expect(400);
    expect(res.body.error.message).toMatch(
      /the multipart part "comment" is unknown or repeated: send/,
    );
  });

  it('answers 400 for a part without a name, saying so (it leaked a TypeError message)', async () => {
    const body = '--XB\r\nContent-Disposition: form-data; filename="a"\r\n\r\nx\r\n--XB--\r\n';
    const res = await api()
      .post('/v1/plugins')
      .set(bearer(publisher))
      .set('Content-Type', 'multipart/form-data; boundary=XB')
      .send(body)
      .expect(400);
    expect(res.body.error.message).toMatch(/^a multipart part has no name \(Content-Disposition/);
    expect(res.body.error.message).not.toMatch(/undefined|Cannot read/);
    await submit(publisher, greetManifest()).expect(202);
  });

  it('rejects a module whose SHA-256 does not match the manifest, with its code', async () => {
    const manifest = greetManifest({ signing: { sha256: 'f'.repeat(64) } });
    const id = manifest.id;
    await submit(publisher, manifest).expect(202);
    await expectEventually(async () => {
      const state = await versionState(publisher, id);
      expect(state.status).toBe('rejected');
      expect(state.findings.map((f) => f.code)).toContain('module_hash_mismatch');
    });
    await expectEventually(async () =>
      expect(await auditTypes(auditor, id)).toEqual(['plugin.submitted', 'plugin.rejected']),
    );
    const call = await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'x' } })
      .expect(409);
    expect(call.body.error.code).toBe('invalid_state');
  });

  it.each(['/', '/etc', '/root/.ssh'])(
    'rejects fs.read of %s, outside the roots of the operator policy, naming the rule',
    async (path) => {
      const manifest = greetManifest({ permissions: { 'fs.read': { paths: [path] } } });
      await submit(publisher, manifest).expect(202);
      await expectEventually(async () => {
        const state = await versionState(publisher, manifest.id);
        expect(state.status).toBe('rejected');
        expect(state.findings).toContainEqual(
          expect.objectContaining({
            code: 'policy_violation',
            rule: 'filesystem.roots',
            value: path,
          }),
        );
      });
      expect(await auditTypes(auditor, manifest.id)).not.toContain('plugin.loaded');
    },
  );

  it('rejects a module that is not WebAssembly', async () => {
    const junk = Buffer.from('definitely not wasm');
    const manifest = greetManifest({ signing: { sha256: sha256Hex(junk) } });
    await submit(publisher, manifest, junk).expect(202);
    await expectEventually(async () =>
      expect((await versionState(publisher, manifest.id)).findings.map((f) => f.code)).toContain(
        'module_invalid',
      ),
    );
  });

  it('answers 404 for an unknown plugin and version', async () => {
    expect(
      (await api().get('/v1/plugins/e2e.unknown').set(bearer(invoker)).expect(404)).body.error.code,
    ).toBe('not_found');
    await api().get('/v1/plugins/e2e.unknown/versions/1.0.0').set(bearer(invoker)).expect(404);
    await api()
      .post('/v1/plugins/e2e.unknown/invoke')
      .set(bearer(invoker))
      .send({ function: 'greet', input: {} })
      .expect(404);
  });

  it('answers 409 to a second submission of the same version', async () => {
    const manifest = greetManifest();
    await submit(publisher, manifest).expect(202);
    expect((await submit(publisher, manifest).expect(409)).body.error.code).toBe('version_exists');
  });

  it('checks tool input against its schema before the plugin runs', async () => {
    const manifest = greetManifest();
    const id = manifest.id;
    await submit(publisher, manifest, greetModule()).expect(202);
    // loaded comes from the executor itself: its own view of the approval has arrived.
    await expectEventually(async () =>
      expect(await versionState(publisher, id)).toMatchObject({ status: 'approved', loaded: true }),
    );
    const res = await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { nom: 'Ada' } })
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed' });
    await api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'exfiltrate', input: {} })
      .expect(404);
  });
});

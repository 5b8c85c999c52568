import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import request from 'supertest';
import { loadConfig } from '@convergio/config';
import {
  aManifest,
  createPublisherKey,
  exampleModule,
  expectEventually,
  notesExample,
  runMain,
} from '@convergio/testing';
import { StandaloneConfig } from './config/standalone.config.js';
import { startStandalone, type Standalone } from './standalone.js';

describe('standalone mode', () => {
  let dataDir: string;
  let platform: Standalone | undefined;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cvg-standalone-'));
  });
  afterAll(async () => {
    await platform?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    platform = await startStandalone(
      loadConfig(StandaloneConfig, {
        DATA_DIR: dataDir,
        PORT: '0',
        ADMIN_KEY_FILE: join(dataDir, 'admin-key'),
      }),
    );
    return platform;
  };

  it('runs a plugin end to end in one process, and keeps it across a restart', async () => {
    let p = await start();
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const auth = { Authorization: `Bearer ${key}` };
    const publisher = await createPublisherKey(p.url, key, 'example');
    const module = exampleModule('greet.wasm');
    const manifest = aManifest({}, module);
    await request(p.url)
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
      .attach('module', module, 'greet.wasm')
      .expect(202);
    await expectEventually(
      async () => {
        const res = await request(p.url).get('/v1/plugins/example.greet/versions/1.0.0').set(auth);
        expect(res.body).toMatchObject({ status: 'approved', loaded: true });
      },
      { timeoutMs: 20_000 },
    );
    const invoke = () =>
      request(p.url)
        .post('/v1/plugins/example.greet/invoke')
        .set(auth)
        .send({ function: 'greet', input: { name: 'Ada' } });
    expect((await invoke().expect(200)).body.output).toEqual({ greeting: 'Hello, Ada!' });
    await request(p.url).get('/readyz').expect(200);

    await p.stop();
    platform = undefined;
    p = await start();
    expect(readFileSync(join(dataDir, 'admin-key'), 'utf8').trim()).toBe(key);
    expect((await invoke().expect(200)).body.output).toEqual({ greeting: 'Hello, Ada!' });
    const audit = await request(p.url)
      .get('/v1/audit')
      .query({ plugin_id: 'example.greet' })
      .set(auth)
      .expect(200);
    expect((audit.body as { events: { type: string }[] }).events.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'plugin.submitted',
        'plugin.verified',
        'plugin.approved',
        'plugin.loaded',
      ]),
    );
  });

  it.each(['any port', 'its port'])(
    'refuses a second platform on the same DATA_DIR (on %s), which would lose the writes it acknowledged',
    async (port) => {
      const p = platform ?? (await start());
      const second = await runMain('standalone', {
        DATA_DIR: dataDir,
        PORT: port === 'any port' ? '0' : new URL(p.url).port,
        NO_COLOR: '1',
      });
      expect(second.code).toBe(1);
      expect(second.output).toContain(
        `convergio: ${join(dataDir, 'pg')} is in use by process ${process.pid}: stop that platform first`,
      );
      await request(p.url).get('/readyz').expect(200);
    },
  );

  it('refuses a port in use before writing anything to its DATA_DIR', async () => {
    const p = platform ?? (await start());
    const otherDir = await mkdtemp(join(tmpdir(), 'cvg-standalone-port-'));
    try {
      const second = await runMain('standalone', {
        DATA_DIR: otherDir,
        PORT: new URL(p.url).port,
        NO_COLOR: '1',
      });
      expect(second.code).toBe(1);
      expect(second.output).toMatch(/PORT: .*\(already in use\)/);
      expect(await readdir(otherDir)).toEqual([]);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
    await request(p.url).get('/readyz').expect(200);
  });

  it("refuses another publisher's version of a plugin id, keeping nothing of it", async () => {
    const p = platform ?? (await start());
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const auth = { Authorization: `Bearer ${key}` };
    const mallory = await createPublisherKey(p.url, key, 'mallory');
    const evil = exampleModule('fixtures.wasm');
    const artifacts = async () =>
      (await readdir(join(dataDir, 'artifacts'), { recursive: true })).sort();
    const before = await artifacts();

    const res = await request(p.url)
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${mallory}` })
      .attach(
        'manifest',
        Buffer.from(JSON.stringify(aManifest({ version: '0.9.0' }, evil))),
        'plugin.json',
      )
      .attach('module', evil, 'greet.wasm')
      .expect(403);

    expect(res.body.error.code).toBe('not_owner');
    await request(p.url).get('/v1/plugins/example.greet/versions/0.9.0').set(auth).expect(404);
    expect(await artifacts()).toEqual(before);
    await expectEventually(async () => {
      const audit = await request(p.url)
        .get('/v1/audit')
        .query({ plugin_id: 'example.greet', type: 'plugin.submission_refused' })
        .set(auth)
        .expect(200);
      expect(audit.body.events).toEqual([
        expect.objectContaining({
          version: '0.9.0',
          data: expect.objectContaining({ code: 'not_owner', publisher: 'mallory' }),
        }),
      ]);
    });
    const call = await request(p.url)
      .post('/v1/plugins/example.greet/invoke')
      .set(auth)
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(call.body).toMatchObject({ version: '1.0.0', output: { greeting: 'Hello, Ada!' } });
  });

  it('deletes the module of a version verification rejects, at once and at start (ADR 0019)', async () => {
    let p = platform ?? (await start());
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const publisher = await createPublisherKey(p.url, key, 'rejected-author');
    // The greet module with a custom section of its own: a digest no other version has.
    const section = Buffer.from('\u0006cvg-gcrejected in standalone');
    const module = Buffer.concat([
      exampleModule('greet.wasm'),
      Buffer.from([0, section.length]),
      section,
    ]);
    const digest = createHash('sha256').update(module).digest('hex');
    const file = join(dataDir, 'artifacts', 'sha256', digest.slice(0, 2), digest);
    const stored = async () =>
      (await readdir(join(dataDir, 'artifacts', 'sha256'), { recursive: true }))
        .filter((f) => f.includes('/'))
        .sort();
    const before = await stored();
    const res = await request(p.url)
      .post('/v1/plugins')
      .query({ wait: 20 })
      .set({ Authorization: `Bearer ${publisher}` })
      .attach(
        'manifest',
        Buffer.from(
          JSON.stringify(aManifest({ id: 'rejected.core', min_core_version: '99.0.0' }, module)),
        ),
        'plugin.json',
      )
      .attach('module', module, 'plugin.wasm')
      .expect(202);
    expect(res.body.status).toBe('rejected');
    await expectEventually(async () => expect(await stored()).toEqual(before));

    // Left by a process that stopped before collecting (the in-process bus keeps no events).
    await p.stop();
    platform = undefined;
    // Its shard directory went with the last file in it: the leftover brings it back.
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, module);
    p = await start();
    await expectEventually(async () => expect(await stored()).toEqual(before));
    await request(p.url)
      .post('/v1/plugins/example.greet/invoke')
      .set({ Authorization: `Bearer ${key}` })
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
  });

  it("holds JSON bodies to the gateway's limits in one process too", async () => {
    const p = platform ?? (await start());
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const invoke = () =>
      request(p.url)
        .post('/v1/plugins/example.greet/invoke')
        .set({ Authorization: `Bearer ${key}` });
    const large = await invoke()
      .send({ function: 'greet', input: { name: 'x'.repeat(256 * 1024) } })
      .expect(413);
    expect(large.body.error.message).toContain('GATEWAY_MAX_INVOKE_BYTES');
    const deep = await invoke()
      .set('Content-Type', 'application/json')
      .send(`{"function":"greet","input":${'['.repeat(5000)}${']'.repeat(5000)}}`)
      .expect(400);
    expect(deep.body.error.details[0].code).toBe('json_too_deep');
    await invoke()
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
  });

  it('runs the notes example of the plugin author guide: host calls under its fs grants once an admin approved, refused without fs.write', async () => {
    const p = platform ?? (await start());
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const auth = { Authorization: `Bearer ${key}` };
    const publisher = await createPublisherKey(p.url, key, 'notes-author');
    const { module, manifest } = notesExample();
    const submitted = await request(p.url)
      .post('/v1/plugins')
      .query({ wait: 30 })
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
      .attach('module', module, 'notes.wasm')
      .expect(202);
    expect(submitted.body.status).toBe('pending_approval'); // fs.write is high-risk
    await request(p.url)
      .post('/v1/approvals/example.notes/1.0.0/approve')
      .set(auth)
      .send({ note: 'writes only its own directory' })
      .expect(200);
    const invoke = (fn: string, input: unknown) =>
      request(p.url)
        .post('/v1/plugins/example.notes/invoke')
        .set(auth)
        .send({ function: fn, input });
    await expectEventually(async () => {
      const saved = await invoke('save', { name: 'todo', text: 'Buy milk\nCall Ada' });
      expect(saved.body).toMatchObject({ version: '1.0.0', output: { size: 17 } });
    });
    expect(readFileSync(join(dataDir, 'plugin-files', 'example.notes', 'todo.txt'), 'utf8')).toBe(
      'Buy milk\nCall Ada',
    );
    expect((await invoke('read', { name: 'todo' }).expect(200)).body.output).toEqual({
      content: 'Buy milk\nCall Ada',
      size: 17,
    });
    const missing = await invoke('read', { name: 'missing' }).expect(422);
    expect(missing.body.error).toMatchObject({ code: 'plugin_failed' });
    expect(missing.body.error.message).toContain('"code":"not_found"');

    // 1.1.0 without fs.write needs no admin and serves at once; the host refuses its writes.
    const { 'fs.write': _write, ...readOnly } = manifest.permissions;
    const next = await request(p.url)
      .post('/v1/plugins')
      .query({ wait: 30 })
      .set({ Authorization: `Bearer ${publisher}` })
      .attach(
        'manifest',
        Buffer.from(JSON.stringify({ ...manifest, version: '1.1.0', permissions: readOnly })),
        'plugin.json',
      )
      .attach('module', module, 'notes.wasm')
      .expect(202);
    expect(next.body.status).toBe('approved');
    const refused = await invoke('save', { name: 'todo', text: 'Buy bread' }).expect(422);
    expect(refused.body.error.message).toContain('"code":"permission_denied"');
    expect((await invoke('read', { name: 'todo' }).expect(200)).body).toMatchObject({
      version: '1.1.0',
      output: { content: 'Buy milk\nCall Ada' },
    });
    await expectEventually(async () => {
      const audit = await request(p.url)
        .get('/v1/audit')
        .query({ plugin_id: 'example.notes', type: 'permission.denied' })
        .set(auth)
        .expect(200);
      expect(audit.body.events).toEqual([
        expect.objectContaining({
          version: '1.1.0',
          data: expect.objectContaining({ capability: 'fs.write', target: '$PLUGIN_DIR/todo.txt' }),
        }),
      ]);
    });
  });

  it('grants no path outside the plugin directory under the shipped policy: / and the data directory are rejected with their rules', async () => {
    const p = platform ?? (await start());
    const key = readFileSync(join(dataDir, 'admin-key'), 'utf8').trim();
    const auth = { Authorization: `Bearer ${key}` };
    const publisher = await createPublisherKey(p.url, key, 'reader');
    const module = exampleModule('greet.wasm');
    const cases = [
      { id: 'reader.root', path: '/', rule: 'filesystem.roots' },
      { id: 'reader.key', path: join(dataDir, 'admin-key'), rule: 'protected_paths' },
    ];
    for (const { id, path } of cases) {
      const manifest = aManifest({ id, permissions: { 'fs.read': { paths: [path] } } }, module);
      await request(p.url)
        .post('/v1/plugins')
        .set({ Authorization: `Bearer ${publisher}` })
        .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
        .attach('module', module, 'greet.wasm')
        .expect(202);
    }
    for (const { id, path, rule } of cases) {
      await expectEventually(async () => {
        const res = await request(p.url).get(`/v1/plugins/${id}/versions/1.0.0`).set(auth);
        expect(res.body.status).toBe('rejected');
        expect(res.body.findings).toContainEqual(
          expect.objectContaining({ code: 'policy_violation', rule, value: path }),
        );
      });
    }
  });
});

import { randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import { ALL_EVENT_SUBJECTS, ENVELOPE_VERSION, type Manifest } from '@convergio/contracts';
import {
  aManifest,
  connectTestNats,
  createPublisherKey,
  exampleModule,
  expectEventually,
  sha256Hex,
  startPlatform,
  type PlatformInfo,
} from '@convergio/testing';

const VALUE = 'pg-Passw0rd-7f3Kq9ZxLm';
const CARD = '4111111111119876';
const OTHER = 'other-Value-Qw8rT5yU';

/**
 * Secrets through the whole platform (distributed: real NATS and PostgreSQL): an admin stores
 * them through the gateway, a plugin reads what it was granted through the executor and the
 * broker, and every other attempt is refused and audited while a bystander is served. Every
 * output the platform produces meanwhile (service logs, bus events, metrics, HTTP replies) is
 * captured and searched for the values.
 */
describe('secrets end to end', () => {
  let info: PlatformInfo;
  let stop: (() => Promise<void>) | undefined;
  const bus: string[] = [];
  const replies: string[] = [];
  let closeBus: (() => Promise<void>) | undefined;
  const auth = () => ({ Authorization: `Bearer ${info.adminKey}` });
  const hostile = exampleModule('hostile.wasm');
  const publishers: Record<string, string> = {};

  beforeAll(async () => {
    const started = await startPlatform({
      SECRET_RELEASE_FORMS: JSON.stringify({ 'card-number': { last: 4 } }),
      SECRET_TOKEN_TTL_S: '5',
    });
    info = started.info;
    stop = started.stop;
    const nc = await connectTestNats();
    // Every event (the values travel only in request replies, broker to executor).
    const events = new Set<string>(ALL_EVENT_SUBJECTS.map((e) => `${info.busPrefix}.${e}`));
    const sub = nc.subscribe(`${info.busPrefix}.>`);
    void (async () => {
      for await (const m of sub)
        if (events.has(m.subject)) bus.push(new TextDecoder().decode(m.data));
    })();
    closeBus = () => nc.drain();
    for (const [id, value] of [
      ['db-password', VALUE],
      ['card-number', CARD],
      ['other-secret', OTHER],
    ])
      record(
        await request(info.gatewayUrl)
          .put(`/v1/secrets/${id}`)
          .set(auth())
          .send({ value })
          .expect(200),
      );
  }, 120_000);

  afterAll(async () => {
    await closeBus?.();
    await stop?.();
  }, 60_000);

  function record(res: request.Response): request.Response {
    replies.push(res.text);
    return res;
  }

  async function publishApproved(
    id: string,
    permissions: Manifest['permissions'],
    version = '1.0.0',
  ) {
    const manifest = aManifest(
      {
        id,
        version,
        entrypoint: 'hostile.wasm',
        capabilities: {
          tools: [
            { name: 'leak_secret', function: 'leak_secret', description: 'leak', input_schema: {} },
            { name: 'call_host', function: 'call_host', description: 'any', input_schema: {} },
          ],
        },
        permissions: { ...permissions, 'telemetry.emit': {} },
      },
      hostile,
    );
    const publisher = (publishers[id] ??= await createPublisherKey(info.gatewayUrl, info.adminKey));
    await request(info.gatewayUrl)
      .post('/v1/plugins')
      .set({ Authorization: `Bearer ${publisher}` })
      .attach('manifest', Buffer.from(JSON.stringify(manifest)), 'plugin.json')
      .attach('module', hostile, 'hostile.wasm')
      .expect(202);
    // Approved by an admin, or by itself when it asks for nothing new (a later version).
    await expectEventually(
      async () => {
        const state = await request(info.gatewayUrl)
          .get(`/v1/plugins/${id}/versions/${version}`)
          .set(auth());
        if (state.body.status === 'approved') return;
        if (state.body.status === 'pending_approval')
          await request(info.gatewayUrl)
            .post(`/v1/approvals/${id}/${version}/approve`)
            .set(auth())
            .send({})
            .expect(200);
        throw new Error(`${id}@${version} is ${String(state.body.status)}`);
      },
      { timeoutMs: 20_000 },
    );
  }

  const invoke = async (id: string, fn: string, input: unknown) =>
    record(
      await request(info.gatewayUrl)
        .post(`/v1/plugins/${id}/invoke`)
        .set(auth())
        .send({ function: fn, input }),
    );

  /** Reads `secret` as plugin `id`, waiting until the broker has seen the approval. */
  const readEventually = (id: string, secret: string, extra = {}) =>
    expectEventually(
      async () => {
        const res = await invoke(id, 'leak_secret', { id: secret, ...extra });
        expect(res.body.output ?? res.body.error).not.toMatchObject({
          error: { message: expect.stringMatching(/not approved for secrets/) },
        });
        return res;
      },
      { timeoutMs: 20_000 },
    );

  const audit = async (id: string, type: string) =>
    (
      await request(info.gatewayUrl)
        .get('/v1/audit')
        .query({ plugin_id: id, type, limit: 100 })
        .set(auth())
        .expect(200)
    ).body.events as { data: Record<string, unknown> }[];

  beforeAll(async () => {
    await publishApproved('e2e.secret-reader', {
      'secrets.read': { ids: ['db-password', 'card-number'] },
    });
    await publishApproved('e2e.secret-bystander', { 'secrets.read': { ids: ['db-password'] } });
  }, 60_000);

  const bystanderServed = async () => {
    const res = await readEventually('e2e.secret-bystander', 'db-password');
    expect(res.status).toBe(200);
    expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
  };

  it('reads a granted secret from the embedded store, scrubbed from everything the plugin emits', async () => {
    const res = await readEventually('e2e.secret-reader', 'db-password');
    expect(res.status).toBe(200);
    // The plugin had the value (its output held it before the executor scrubbed it).
    expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
    const failed = await invoke('e2e.secret-reader', 'leak_secret', {
      id: 'db-password',
      fail: true,
    });
    expect(failed.status).toBe(422);
    expect(failed.text).toContain('[REDACTED]');
    await expectEventually(async () =>
      expect(
        (await audit('e2e.secret-reader', 'secret.accessed')).map((e) => e.data),
      ).toContainEqual({
        plugin_id: 'e2e.secret-reader',
        version: '1.0.0',
        secret_id: 'db-password',
      }),
    );
  });

  it('releases only the brokered form the operator configured', async () => {
    const res = await readEventually('e2e.secret-reader', 'card-number');
    expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
    const direct = await invoke('e2e.secret-reader', 'call_host', {
      fn: 'secret_get',
      arg: { id: 'card-number' },
    });
    expect(JSON.stringify(direct.body)).not.toContain('4111');
  });

  it('refuses an ungranted secret: permission_denied, audited, bystander served', async () => {
    const res = await invoke('e2e.secret-reader', 'leak_secret', { id: 'other-secret' });
    expect(res.body.output).toMatchObject({ error: { code: 'permission_denied' } });
    await expectEventually(async () =>
      expect(
        (await audit('e2e.secret-reader', 'permission.denied')).map((e) => e.data),
      ).toContainEqual(
        expect.objectContaining({ capability: 'secrets.read', target: 'other-secret' }),
      ),
    );
    await bystanderServed();
  });

  it('refuses every read of a revoked version, and serves the bystander', async () => {
    await publishApproved('e2e.secret-revoked', { 'secrets.read': { ids: ['db-password'] } });
    expect((await readEventually('e2e.secret-revoked', 'db-password')).body.output).toEqual({
      leaked: '[REDACTED]',
    });
    await request(info.gatewayUrl)
      .post('/v1/plugins/e2e.secret-revoked/versions/1.0.0/revoke')
      .set(auth())
      .send({})
      .expect(200);
    await expectEventually(async () =>
      expect(
        (await invoke('e2e.secret-revoked', 'leak_secret', { id: 'db-password' })).status,
      ).not.toBe(200),
    );
    await bystanderServed();
  });

  it('keeps the embedded store to admins, with coded refusals that change nothing', async () => {
    const publisher = await createPublisherKey(info.gatewayUrl, info.adminKey);
    record(
      await request(info.gatewayUrl)
        .put('/v1/secrets/x')
        .set({ Authorization: `Bearer ${publisher}` })
        .send({ value: OTHER })
        .expect(403),
    );
    record(
      await request(info.gatewayUrl)
        .put('/v1/secrets/bad%2Fid')
        .set(auth())
        .send({ value: OTHER })
        .expect(400),
    );
    record(
      await request(info.gatewayUrl)
        .put('/v1/secrets/big')
        .set(auth())
        .send({ value: 'x'.repeat(25 * 1024 + 1) })
        .expect(413),
    );
    record(
      await request(info.gatewayUrl)
        .put('/v1/secrets/empty')
        .set(auth())
        .send({ value: '' })
        .expect(400),
    );
    record(
      await request(info.gatewayUrl).delete('/v1/secrets/never-stored').set(auth()).expect(404),
    );
    // Each change an event with the admin key id as actor (the audit log records every event).
    const changes = bus
      .map((m) => JSON.parse(m) as { type: string; data: { secret_id: string; actor: string } })
      .filter((e) => e.type === 'secret.changed');
    expect(changes.map((e) => e.data.secret_id).sort()).toEqual([
      'card-number',
      'db-password',
      'other-secret',
    ]);
    expect(changes.every((e) => /^[0-9a-f-]{36}$/.test(e.data.actor))).toBe(true);
  });

  /** A request as any process on the bus could send it (until per-service bus credentials). */
  async function onBus(subject: string, data: unknown) {
    const nc = await connectTestNats();
    try {
      const id = randomUUID();
      const envelope = {
        id,
        type: subject,
        version: ENVELOPE_VERSION,
        occurred_at: new Date().toISOString(),
        source: 'e2e-attacker',
        correlation_id: id,
        data,
      };
      const reply = await nc.request(`${info.busPrefix}.${subject}`, JSON.stringify(envelope), {
        timeout: 10_000,
      });
      return reply.json<{
        ok: boolean;
        data?: { token?: string; value?: string; error?: { code: string; message: string } };
      }>();
    } finally {
      await nc.close();
    }
  }
  const tokenFor = async (plugin_id: string, version = '1.0.0') =>
    (await onBus('secrets.token.issue', { plugin_id, version, module_sha256: sha256Hex(hostile) }))
      .data!.token!;
  const readWith = async (
    token: string,
    plugin_id: string,
    secret_id = 'db-password',
    version = '1.0.0',
  ) => (await onBus('secrets.read', { token, plugin_id, version, secret_id })).data!;
  async function expectAuditedRefusal(plugin: string, reason: RegExp) {
    await expectEventually(async () =>
      expect((await audit(plugin, 'permission.denied')).map((e) => e.data)).toContainEqual(
        expect.objectContaining({
          capability: 'secrets.read',
          reason: expect.stringMatching(reason),
        }),
      ),
    );
    await bystanderServed();
  }

  it("refuses another plugin's or version's token, a changed scope or signature, on the real bus", async () => {
    await publishApproved(
      'e2e.secret-reader',
      { 'secrets.read': { ids: ['db-password', 'card-number'] } },
      '1.1.0',
    );
    const bystander = await tokenFor('e2e.secret-bystander');
    expect(await readWith(bystander, 'e2e.secret-reader')).toMatchObject({
      error: { code: 'permission_denied' },
    });
    await expectAuditedRefusal('e2e.secret-reader', /another plugin version/);

    const v110 = await expectEventually(() => tokenFor('e2e.secret-reader', '1.1.0'), {
      timeoutMs: 20_000,
    });
    expect(await readWith(v110, 'e2e.secret-reader')).toMatchObject({
      error: { code: 'permission_denied' },
    });

    const own = await tokenFor('e2e.secret-reader');
    const [header, payload, signature] = own.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sec: string[] };
    const widened = Buffer.from(
      JSON.stringify({ ...claims, sec: [...claims.sec, 'other-secret'] }),
    ).toString('base64url');
    expect(
      await readWith(`${header}.${widened}.${signature}`, 'e2e.secret-reader', 'other-secret'),
    ).toMatchObject({
      error: { code: 'permission_denied' },
    });
    await expectAuditedRefusal('e2e.secret-reader', /signature is invalid/);
    const flipped = `${header}.${payload}.${signature.slice(0, -2)}${signature.at(-2) === 'A' ? 'B' : 'A'}${signature.at(-1)}`;
    expect(await readWith(flipped, 'e2e.secret-reader')).toMatchObject({
      error: { code: 'permission_denied' },
    });
    // The genuine token still works: the refusals were about the changes.
    expect(await readWith(own, 'e2e.secret-reader')).toEqual({ value: VALUE });
  });

  it('refuses a token replayed after it expired', async () => {
    const token = await tokenFor('e2e.secret-reader');
    expect(await readWith(token, 'e2e.secret-reader')).toEqual({ value: VALUE });
    // SECRET_TOKEN_TTL_S is 5 on this platform: the same token, asked again until it has expired.
    await expectEventually(
      async () =>
        expect(await readWith(token, 'e2e.secret-reader')).toMatchObject({
          error: { code: 'permission_denied', message: expect.stringMatching(/expired/) },
        }),
      { timeoutMs: 15_000 },
    );
    await expectAuditedRefusal('e2e.secret-reader', /expired/);
  });

  it('never lets a value out: service logs, bus messages, metrics and HTTP replies hold none', async () => {
    for (const service of ['executor', 'secret-broker', 'gateway'])
      replies.push((await request(info.serviceUrls[service]).get('/metrics').expect(200)).text);
    // The plugin's telemetry reached the operator as a metric, its secret attribute redacted.
    const executorMetrics = replies.at(-3) ?? '';
    expect(executorMetrics).toMatch(
      /convergio_plugin_telemetry_events_total\{[^}]*plugin="e2e\.secret-reader"[^}]*attr_v="\[REDACTED\]"/,
    );
    const logs = await Promise.all(
      (await readdir(info.logsDir)).map((f) => readFile(join(info.logsDir, f), 'utf8')),
    );
    expect(logs.join('\n')).toContain('[REDACTED]'); // the plugin's log line was there, scrubbed
    expect(bus.some((e) => e.includes('secret.accessed'))).toBe(true); // the capture saw events
    for (const [where, text] of [
      ['logs', logs.join('\n')],
      ['bus events', bus.join('\n')],
      ['http', replies.join('\n')],
    ] as const)
      for (const value of [
        VALUE,
        CARD,
        CARD.slice(-4),
        OTHER,
        Buffer.from(VALUE).toString('base64'),
      ])
        expect({ where, leaked: text.includes(value) }).toEqual({ where, leaked: false });
  });
});

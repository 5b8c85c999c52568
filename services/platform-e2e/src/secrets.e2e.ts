import request from 'supertest';
import { createPublisherKey, expectEventually } from '@convergio/testing';
import { SecretPlatform } from './support/secret-platform.js';

const VALUE = 'pg-Passw0rd-7f3Kq9ZxLm';
const CARD = 'card-4111-1111-ZqXw';
const OTHER = 'other-Value-Qw8rT5yU';
const READER = 'e2e.secret-reader';
const BYSTANDER = 'e2e.secret-bystander';

/**
 * Secrets through the whole platform (distributed: real NATS and PostgreSQL): an admin stores
 * them through the gateway, a plugin reads what it was granted through the executor and the
 * broker, and every other attempt is refused and audited while a bystander is served. Every
 * output the platform produces meanwhile (service logs, bus events, metrics, HTTP replies) is
 * captured and searched for the values.
 */
describe('secrets end to end', () => {
  let p: SecretPlatform;

  beforeAll(async () => {
    p = await SecretPlatform.start({
      SECRET_RELEASE_FORMS: JSON.stringify({ 'card-number': { last: 4 } }),
      SECRET_TOKEN_TTL_S: '5',
    });
    for (const [id, value] of [
      ['db-password', VALUE],
      ['card-number', CARD],
      ['other-secret', OTHER],
    ])
      p.record(
        await request(p.info.gatewayUrl)
          .put(`/v1/secrets/${id}`)
          .set(p.auth())
          .send({ value })
          .expect(200),
      );
    await p.publishApproved(READER, { 'secrets.read': { ids: ['db-password', 'card-number'] } });
    await p.publishApproved(BYSTANDER, { 'secrets.read': { ids: ['db-password'] } });
  }, 120_000);

  afterAll(() => p?.stop(), 60_000);

  const bystanderServed = async () => {
    const res = await p.readEventually(BYSTANDER, 'db-password');
    expect(res.status).toBe(200);
    expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
  };

  async function expectAuditedRefusal(plugin: string, refusal: Record<string, unknown>) {
    await expectEventually(async () =>
      expect((await p.audit(plugin, 'permission.denied')).map((e) => e.data)).toContainEqual(
        expect.objectContaining({ capability: 'secrets.read', ...refusal }),
      ),
    );
    await bystanderServed();
  }

  it('reads a granted secret from the embedded store, scrubbed from everything the plugin emits', async () => {
    const res = await p.readEventually(READER, 'db-password');
    expect(res.status).toBe(200);
    // The plugin had the value (its output held it before the executor scrubbed it).
    expect(res.body.output).toEqual({ leaked: '[REDACTED]' });
    const failed = await p.invoke(READER, 'leak_secret', { id: 'db-password', fail: true });
    expect(failed.status).toBe(422);
    expect(failed.text).toContain('[REDACTED]');
    await expectEventually(async () =>
      expect((await p.audit(READER, 'secret.accessed')).map((e) => e.data)).toContainEqual({
        plugin_id: READER,
        version: '1.0.0',
        secret_id: 'db-password',
      }),
    );
  });

  it('releases only the brokered form the operator configured', async () => {
    expect((await p.readEventually(READER, 'card-number')).body.output).toEqual({
      leaked: '[REDACTED]',
    });
    const direct = await p.invoke(READER, 'call_host', {
      fn: 'secret_get',
      arg: { id: 'card-number' },
    });
    expect(JSON.stringify(direct.body)).not.toContain('4111');
    expect(direct.body.output).toEqual({ value: '[REDACTED]' });
  });

  it('refuses an ungranted secret: permission_denied, audited, bystander served', async () => {
    const res = await p.invoke(READER, 'leak_secret', { id: 'other-secret' });
    expect(res.body.output).toMatchObject({ error: { code: 'permission_denied' } });
    await expectAuditedRefusal(READER, { target: 'other-secret' });
  });

  it('refuses every read of a revoked version, and serves the bystander', async () => {
    await p.publishApproved('e2e.secret-revoked', { 'secrets.read': { ids: ['db-password'] } });
    expect((await p.readEventually('e2e.secret-revoked', 'db-password')).body.output).toEqual({
      leaked: '[REDACTED]',
    });
    const token = await p.tokenFor('e2e.secret-revoked');
    await request(p.info.gatewayUrl)
      .post('/v1/plugins/e2e.secret-revoked/versions/1.0.0/revoke')
      .set(p.auth())
      .send({})
      .expect(200);
    await expectEventually(async () =>
      expect(
        (await p.invoke('e2e.secret-revoked', 'leak_secret', { id: 'db-password' })).status,
      ).not.toBe(200),
    );
    // Its unexpired token is refused too, once the broker has heard of the revocation.
    await expectEventually(async () =>
      expect(await p.readWith(token, 'e2e.secret-revoked')).toMatchObject({
        error: { code: 'permission_denied', message: expect.stringMatching(/no longer approved/) },
      }),
    );
    await bystanderServed();
  });

  it('keeps the embedded store to admins, with coded refusals that change nothing', async () => {
    const publisher = await createPublisherKey(p.info.gatewayUrl, p.info.adminKey);
    const put = (id: string, value: string, key = p.info.adminKey) =>
      request(p.info.gatewayUrl)
        .put(`/v1/secrets/${id}`)
        .set({ Authorization: `Bearer ${key}` })
        .send({ value });
    p.record(await put('x', OTHER, publisher).expect(403));
    p.record(await put('bad%2Fid', OTHER).expect(400));
    const big = p.record(await put('big', 'x'.repeat(25 * 1024 + 1)).expect(413));
    expect(big.body.error).toMatchObject({
      code: 'payload_too_large',
      message: expect.stringContaining('"value" is larger than 25600 bytes (25 KiB)'),
      details: [expect.objectContaining({ code: 'secret_value_too_large', path: '/value' })],
    });
    p.record(await put('empty', '').expect(400));
    p.record(
      await request(p.info.gatewayUrl).delete('/v1/secrets/never-stored').set(p.auth()).expect(404),
    );
    // Each change an event with the admin key id as actor (the audit log records every event).
    const changes = p.events
      .map((m) => JSON.parse(m) as { type: string; data: { secret_id: string; actor: string } })
      .filter((e) => e.type === 'secret.changed');
    expect(changes.map((e) => e.data.secret_id).sort()).toEqual([
      'card-number',
      'db-password',
      'other-secret',
    ]);
    expect(changes.every((e) => /^[0-9a-f-]{36}$/.test(e.data.actor))).toBe(true);
  });

  it("refuses another plugin's or version's token, a changed scope or signature, on the real bus", async () => {
    const denied = { error: { code: 'permission_denied', message: expect.any(String) } };
    await p.publishApproved(
      READER,
      { 'secrets.read': { ids: ['db-password', 'card-number'] } },
      '1.1.0',
    );
    expect(await p.readWith(await p.tokenFor(BYSTANDER), READER)).toEqual(denied);
    await expectAuditedRefusal(READER, { reason: expect.stringMatching(/another plugin version/) });

    const v110 = await expectEventually(() => p.tokenFor(READER, '1.1.0'), { timeoutMs: 20_000 });
    expect(await p.readWith(v110, READER)).toEqual(denied);

    const own = await p.tokenFor(READER);
    const [header, payload, signature] = own.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sec: string[] };
    const widened = Buffer.from(
      JSON.stringify({ ...claims, sec: [...claims.sec, 'other-secret'] }),
    ).toString('base64url');
    expect(await p.readWith(`${header}.${widened}.${signature}`, READER, 'other-secret')).toEqual(
      denied,
    );
    await expectAuditedRefusal(READER, { reason: expect.stringMatching(/signature is invalid/) });
    const last = signature.length - 2;
    const flipped = `${header}.${payload}.${signature.slice(0, last)}${signature[last] === 'A' ? 'B' : 'A'}${signature.slice(last + 1)}`;
    expect(await p.readWith(flipped, READER)).toEqual(denied);
    // The genuine token still works: the refusals were about the changes.
    expect(await p.readWith(own, READER)).toEqual({ value: VALUE });
  });

  it('refuses a token replayed after it expired', async () => {
    const token = await p.tokenFor(READER);
    expect(await p.readWith(token, READER)).toEqual({ value: VALUE });
    // SECRET_TOKEN_TTL_S is 5 on this platform: the same token, asked again until it has expired.
    await expectEventually(
      async () =>
        expect(await p.readWith(token, READER)).toMatchObject({
          error: { code: 'permission_denied', message: expect.stringMatching(/expired/) },
        }),
      { timeoutMs: 15_000 },
    );
    await expectAuditedRefusal(READER, { reason: expect.stringMatching(/expired/) });
  });

  it('never lets a value out: service logs, bus events, metrics and HTTP replies hold none', async () => {
    const metrics = await Promise.all(
      ['executor', 'secret-broker', 'gateway'].map(
        async (s) => (await request(p.info.serviceUrls[s]).get('/metrics').expect(200)).text,
      ),
    );
    // The plugin's telemetry reached the operator as a metric, its secret attribute redacted.
    expect(metrics[0]).toMatch(
      /convergio_plugin_telemetry_events_total\{[^}]*plugin="e2e\.secret-reader"[^}]*attr_v="\[REDACTED\]"/,
    );
    const logs = await p.logs();
    expect(logs).toContain('[REDACTED]'); // the plugin's log line was there, scrubbed
    expect(p.events.some((e) => e.includes('secret.accessed'))).toBe(true); // events were captured
    const outputs = {
      logs,
      'bus events': p.events.join('\n'),
      http: p.replies.join('\n'),
      metrics: metrics.join('\n'),
    };
    for (const [where, text] of Object.entries(outputs))
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

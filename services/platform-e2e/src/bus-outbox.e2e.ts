import pg from 'pg';
import { expectEventually, startPlatform } from '@convergio/testing';
import { BusLogins, PREFIX } from './support/bus-logins.js';
import {
  adminKey,
  api,
  auditTypes,
  bearer,
  createKey,
  greetManifest,
  submit,
  versionState,
} from './support/fixtures.js';

/**
 * Nothing lost between a commit and the bus: the registry commits a revocation whose event the
 * bus refuses (its NATS permission taken away for the moment), the registry is killed, the
 * permission comes back, and the restarted registry's outbox relay publishes the event, once.
 * The refusal is the event's own: its row counts the attempt and keeps the reason, and nothing
 * is set aside (the registry's /metrics gauge of dead letters stays at 0).
 */
let logins: BusLogins;
let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;

beforeAll(async () => {
  logins = await BusLogins.provisioned();
  platform = await startPlatform({}, {}, undefined, logins.platformBus());
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(platform.info);
}, 120_000);

afterAll(async () => {
  await platform?.stop();
  await logins?.stop();
}, 60_000);

const REVOKED_GRANT = `            "${PREFIX}.plugin.revoked.registry"\n`;

/** The registry's outbox row of the plugin.revoked event of `pluginId`. */
async function revocationRow(pluginId: string) {
  const db = new pg.Client({ connectionString: platform!.info.databaseUrl });
  await db.connect();
  try {
    const { rows } = await db.query<{
      attempts: number;
      last_error: string | null;
      sent_at: Date | null;
      dead_lettered_at: Date | null;
    }>(
      `SELECT attempts, last_error, sent_at, dead_lettered_at FROM registry.outbox
       WHERE subject = 'plugin.revoked' AND envelope LIKE $1`,
      [`%"plugin_id":"${pluginId}"%`],
    );
    return rows[0];
  } finally {
    await db.end();
  }
}

it('delivers once a revocation committed while its publish failed and the registry was killed', async () => {
  const [publisher, invoker, auditor] = await Promise.all([
    createKey('publisher'),
    createKey('invoker'),
    createKey('auditor'),
  ]);
  const manifest = greetManifest();
  const id = manifest.id;
  const invoke = () =>
    api()
      .post(`/v1/plugins/${id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } });
  await submit(publisher, manifest).expect(202);
  await expectEventually(async () =>
    expect(await versionState(publisher, id)).toMatchObject({ loaded: true }),
  );

  // Only the registry may publish plugin.revoked: take that away, as a broken bus would.
  await logins.server.reload((conf) => {
    if (conf.split(REVOKED_GRANT).length !== 2) throw new Error('nats.conf changed its grant');
    return conf.replace(REVOKED_GRANT, '');
  });
  await api()
    .post(`/v1/plugins/${id}/versions/1.0.0/revoke`)
    .set(bearer(adminKey()))
    .send({ reason: 'compromised' })
    .expect(200);
  await logins.expectLogged('Publish', 'registry', `${PREFIX}.plugin.revoked.registry`);
  await expectEventually(async () =>
    expect(await revocationRow(id)).toMatchObject({
      attempts: expect.any(Number),
      last_error: expect.stringContaining(
        `Permissions Violation for Publish to "${PREFIX}.plugin.revoked.registry"`,
      ),
      sent_at: null,
      dead_lettered_at: null,
    }),
  );
  expect((await revocationRow(id)).attempts).toBeGreaterThanOrEqual(1);
  expect((await versionState(publisher, id)).status).toBe('revoked');
  expect(await auditTypes(auditor, id)).not.toContain('plugin.revoked');

  await platform!.kill('registry');
  await logins.server.reload((conf) =>
    conf.replace(`"${PREFIX}.plugin.submission_refused.registry"\n`, (m) => `${m}${REVOKED_GRANT}`),
  );
  await platform!.restart('registry');

  await expectEventually(async () => expect((await invoke()).status).toBe(409));
  await expectEventually(async () =>
    expect(await auditTypes(auditor, id)).toEqual(
      expect.arrayContaining(['plugin.revoked', 'plugin.unloaded']),
    ),
  );
  expect((await auditTypes(auditor, id)).filter((t) => t === 'plugin.revoked')).toHaveLength(1);
  await expectEventually(async () =>
    expect(await revocationRow(id)).toMatchObject({
      sent_at: expect.any(Date),
      dead_lettered_at: null,
    }),
  );
  const metrics = await fetch(`${platform!.info.serviceUrls.registry}/metrics`);
  expect(await metrics.text()).toMatch(
    /^convergio_outbox_dead_letters\{schema="registry"[^}]*\} 0$/m,
  );
});

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

const REVOKED_GRANT = `            "${PREFIX}.plugin.revoked"\n`;

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
  await logins.expectLogged('Publish', 'registry', `${PREFIX}.plugin.revoked`);
  expect((await versionState(publisher, id)).status).toBe('revoked');
  expect(await auditTypes(auditor, id)).not.toContain('plugin.revoked');

  await platform!.kill('registry');
  await logins.server.reload((conf) =>
    conf.replace(`"${PREFIX}.plugin.submission_refused"\n`, (m) => `${m}${REVOKED_GRANT}`),
  );
  await platform!.restart('registry');

  await expectEventually(async () => expect((await invoke()).status).toBe(409));
  await expectEventually(async () =>
    expect(await auditTypes(auditor, id)).toEqual(
      expect.arrayContaining(['plugin.revoked', 'plugin.unloaded']),
    ),
  );
  expect((await auditTypes(auditor, id)).filter((t) => t === 'plugin.revoked')).toHaveLength(1);
});

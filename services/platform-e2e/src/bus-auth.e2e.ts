import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import type { Manifest } from '@convergio/contracts';
import { inboxPrefix, PROVISIONING_COMMAND } from '@convergio/messaging';
import { expectEventually, SERVICES, startPlatform, type PlatformInfo } from '@convergio/testing';
import {
  BusLogins,
  expectViolation,
  NKEY_SERVICE,
  PREFIX,
  PROVISIONER,
} from './support/bus-logins.js';
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
 * The platform on a nats-server started with deploy/nats/nats.conf (ports, store and passwords
 * aside; the executor logs in with an NKEY), the event stream defined by the provisioning step,
 * every service logged in as itself: it works end to end, and each service's credentials are
 * refused for what another service owns and for the stream's definition.
 */
const STREAM = `${PREFIX}_EVENTS`;
let logins: BusLogins;
let platformInfo: () => PlatformInfo;
let stop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  logins = await BusLogins.provisioned();
  const started = await startPlatform({}, {}, undefined, logins.platformBus());
  process.env.CONVERGIO_E2E_PLATFORM = JSON.stringify(started.info);
  platformInfo = () => started.info;
  stop = started.stop;
}, 120_000);

afterAll(async () => {
  await stop?.();
  await logins?.stop();
}, 60_000);

const as = (service: string) => logins.as(service);
const expectLogged = (kind: 'Publish' | 'Subscription', service: string, subject: string) =>
  logins.expectLogged(kind, service, subject);

const highRisk = (): Manifest =>
  greetManifest({
    permissions: { 'net.http': { rules: [{ host: 'api.example.com', methods: ['GET'] }] } },
  });

describe('every service on its own NATS credentials', () => {
  let publisher: string;
  let invoker: string;
  let bystander: string;

  beforeAll(async () => {
    [publisher, invoker] = await Promise.all([createKey('publisher'), createKey('invoker')]);
    const greet = greetManifest();
    bystander = greet.id;
    await submit(publisher, greet).expect(202);
    await expectEventually(async () =>
      expect(await versionState(publisher, bystander)).toMatchObject({ loaded: true }),
    );
  });

  async function expectBystanderServed() {
    const res = await api()
      .post(`/v1/plugins/${bystander}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Ada' } })
      .expect(200);
    expect(JSON.stringify(res.body)).toContain('Ada');
  }

  it('runs submit → approve → invoke through the gateway, audited', async () => {
    const manifest = highRisk();
    await submit(publisher, manifest).expect(202);
    await expectEventually(async () =>
      expect((await versionState(publisher, manifest.id)).status).toBe('pending_approval'),
    );
    await api()
      .post(`/v1/approvals/${manifest.id}/1.0.0/approve`)
      .set(bearer(adminKey()))
      .send({ note: 'reviewed' })
      .expect(200);
    await expectEventually(async () =>
      expect(await versionState(publisher, manifest.id)).toMatchObject({ loaded: true }),
    );
    await api()
      .post(`/v1/plugins/${manifest.id}/invoke`)
      .set(bearer(invoker))
      .send({ function: 'greet', input: { name: 'Bo' } })
      .expect(200);
    const auditor = await createKey('auditor');
    await expectEventually(async () =>
      expect(await auditTypes(auditor, manifest.id)).toEqual(
        expect.arrayContaining([
          'plugin.submitted',
          'plugin.verified',
          'plugin.approved',
          'plugin.loaded',
        ]),
      ),
    );
  });

  it('refuses plugin.approved from the registry: the pending version stays pending', async () => {
    const manifest = highRisk();
    await submit(publisher, manifest).expect(202);
    await expectEventually(async () =>
      expect((await versionState(publisher, manifest.id)).status).toBe('pending_approval'),
    );
    const forged = {
      id: randomUUID(),
      type: 'plugin.approved',
      version: 1,
      occurred_at: new Date().toISOString(),
      source: 'approval',
      data: { plugin_id: manifest.id, version: '1.0.0', manifest, approved_by: 'auto' },
    };
    const subject = `${PREFIX}.plugin.approved.approval`;
    // Through JetStream, and as a plain publish that the stream would also capture.
    const registry = await as('registry');
    await expectViolation(
      jetstream(registry).publish(subject, JSON.stringify(forged), { msgID: forged.id }),
      'publish',
      subject,
    );
    registry.publish(subject, JSON.stringify({ ...forged, id: randomUUID() }));
    await registry.flush();
    await expectLogged('Publish', 'registry', subject);
    const stream = await (await jetstreamManager(await as('audit'))).streams.get(STREAM);
    const lastApproved = await stream.getMessage({ last_by_subj: subject }).catch(() => null);
    expect(lastApproved?.json<{ data: { plugin_id: string } }>().data.plugin_id).not.toBe(
      manifest.id,
    );
    expect((await versionState(publisher, manifest.id)).status).toBe('pending_approval');
    await expectBystanderServed();
  });

  it("refuses the executor a permission.denied as the secret-broker, on the broker's subject or its own", async () => {
    const executor = await as(NKEY_SERVICE);
    const pluginId = `forged.${randomUUID().slice(0, 8)}`;
    const denial = (source: string, target: string) => ({
      id: randomUUID(),
      type: 'permission.denied',
      version: 1,
      occurred_at: new Date().toISOString(),
      source,
      correlation_id: randomUUID(),
      data: {
        plugin_id: pluginId,
        version: '1.0.0',
        capability: 'secrets.read',
        target,
        reason: 'r',
      },
    });
    // On the broker's subject: NATS refuses it.
    const brokers = `${PREFIX}.permission.denied.secret-broker`;
    const onBrokers = denial('secret-broker', 'on-brokers-subject');
    await expectViolation(
      jetstream(executor).publish(brokers, JSON.stringify(onBrokers), { msgID: onBrokers.id }),
      'publish',
      brokers,
    );
    await expectLogged('Publish', NKEY_SERVICE, brokers);
    // On its own subject, claiming the broker as source: stored, and refused by every consumer.
    const own = `${PREFIX}.permission.denied.executor`;
    const claimed = denial('secret-broker', 'claimed-broker');
    await jetstream(executor).publish(own, JSON.stringify(claimed), { msgID: claimed.id });
    // Its own denial after it, under its own name: recorded.
    const genuine = denial('executor', 'genuine');
    await jetstream(executor).publish(own, JSON.stringify(genuine), { msgID: genuine.id });
    const auditor = await createKey('auditor');
    const recorded = async () =>
      (
        await api()
          .get('/v1/audit')
          .query({ plugin_id: pluginId, limit: 100 })
          .set(bearer(auditor))
          .expect(200)
      ).body as { events: { event_id: string; source: string }[] };
    await expectEventually(async () =>
      expect((await recorded()).events.map((e) => [e.event_id, e.source])).toEqual([
        [genuine.id, 'executor'],
      ]),
    );
    // The audit service says what it refused, and why.
    const auditLog = readFileSync(join(platformInfo().logsDir, 'audit.log'), 'utf8');
    expect(auditLog).toContain(claimed.id);
    expect(auditLog).toMatch(/secret-broker\W+arrived on the subject of publisher\W+executor/);
    await expectBystanderServed();
  });

  it.each([
    ['gateway', `${PREFIX}.secrets.read`],
    ['gateway', `${PREFIX}.secrets.token.issue`],
    ['registry', `${PREFIX}.secrets.token.issue`],
    ['audit', `${PREFIX}.secrets.read`],
  ])('refuses %s a request on %s (only the executor asks for secrets)', async (user, subject) => {
    const nc = await as(user);
    await expectViolation(nc.request(subject, '{}', { timeout: 5000 }), 'publish', subject);
    await expectLogged('Publish', user, subject);
    await expectBystanderServed();
  });

  it.each(['secrets.token.issue', 'secrets.read'])(
    'lets the executor ask %s and the secret-broker answer it',
    async (subject) => {
      // The executor may subscribe to its own inboxes only: a reply that reaches it came there.
      const reply = await (
        await as(NKEY_SERVICE)
      ).request(`${PREFIX}.${subject}`, '{}', {
        timeout: 5000,
      });
      expect(reply.json()).toMatchObject({
        ok: false,
        error: { code: 'validation_failed', message: `invalid ${subject} request` },
      });
    },
  );

  it.each([
    // Answering another service's requests: secret requests carry bearer tokens.
    ['executor', `${PREFIX}.secrets.token.issue`],
    ['gateway', `${PREFIX}.secrets.read`],
    ['approval', `${PREFIX}.registry.submit`],
    // Reading another service's replies, or everyone's.
    ['gateway', `${inboxPrefix('executor')}.>`],
    ['registry', '_INBOX.>'],
    ['executor', '>'],
  ])('refuses %s a subscription to %s', async (user, subject) => {
    const nc = await as(user);
    const sub = nc.subscribe(subject);
    // A refused subscription closes with the violation as its value.
    const closed = sub.closed.then((error) => {
      if (error) throw error;
    });
    await expectViolation(closed, 'subscription', subject);
    await expectLogged('Subscription', user, subject);
    await expectBystanderServed();
  });

  it.each([
    ['registry', 'delete the stream', `$JS.API.STREAM.DELETE.${STREAM}`],
    ['gateway', 'purge the stream', `$JS.API.STREAM.PURGE.${STREAM}`],
    ['approval', 'update the stream', `$JS.API.STREAM.UPDATE.${STREAM}`],
    ['verification', 'delete a message', `$JS.API.STREAM.MSG.DELETE.${STREAM}`],
    ['executor', "delete approval's consumer", `$JS.API.CONSUMER.DELETE.${STREAM}.approval`],
    ['executor', "pull audit's consumer", `$JS.API.CONSUMER.MSG.NEXT.${STREAM}.audit`],
    ['executor', "take the name of audit's consumer", `$JS.API.CONSUMER.CREATE.${STREAM}.audit`],
    ['executor', "retarget registry's consumer", `$JS.API.CONSUMER.CREATE.${STREAM}.registry.x`],
    ['gateway', "pull registry's consumer", `$JS.API.CONSUMER.MSG.NEXT.${STREAM}.registry`],
    ['registry', "ack audit's messages", `$JS.ACK.${STREAM}.audit.1.1.1.1.1`],
  ])('refuses %s to %s', async (user, _what, subject) => {
    const nc = await as(user);
    await expectViolation(
      nc.request(subject, JSON.stringify({ stream_name: STREAM, config: {} }), { timeout: 5000 }),
      'publish',
      subject,
    );
    await expectLogged('Publish', user, subject);
    // Still there, as their owners see them.
    expect(
      (await (await jetstreamManager(await as('audit'))).streams.info(STREAM)).state.messages,
    ).toBeGreaterThan(0);
    for (const owner of ['approval', 'audit', 'registry'])
      expect(
        (await (await jetstreamManager(await as(owner))).consumers.info(STREAM, owner)).name,
      ).toBe(owner);
    await expectBystanderServed();
  });

  it.each(SERVICES)(
    'refuses %s an update or a creation of the stream that would store secret requests and replies',
    async (user) => {
      const jsm = await jetstreamManager(await as(user));
      const { config } = await jsm.streams.info(STREAM);
      // Stored, every secret request and reply (a value, a token) would be readable through the
      // attacker's own consumer.
      const subjects = [...config.subjects, `${PREFIX}.secrets.>`, '_INBOX.>'];
      const update = `$JS.API.STREAM.UPDATE.${STREAM}`;
      const create = `$JS.API.STREAM.CREATE.${STREAM}`;
      await expectViolation(jsm.streams.update(STREAM, { subjects }), 'publish', update);
      await expectViolation(jsm.streams.add({ ...config, subjects }), 'publish', create);
      await expectLogged('Publish', user, update);
      await expectLogged('Publish', user, create);
      expect((await jsm.streams.info(STREAM)).config.subjects).toEqual(config.subjects);
      await expectBystanderServed();
    },
  );

  it('boots no service on a stream that lacks a subject of the release; the provisioner restores it', async () => {
    const jsm = await jetstreamManager(await logins.raw(PROVISIONER));
    const { config } = await jsm.streams.info(STREAM);
    const missing = `${PREFIX}.plugin.crashed.executor`;
    // The stream of an older release: this release's provisioning step has not run yet.
    await jsm.streams.update(STREAM, { subjects: config.subjects.filter((s) => s !== missing) });
    const refusal = await logins.bootRefusal('registry');
    expect(refusal).toMatchObject({ code: 'event_stream_outdated' });
    expect((refusal as Error).message).toContain(missing);
    expect((refusal as Error).message).toContain(PROVISIONING_COMMAND);
    const provisioned = await logins.provision();
    expect(provisioned).toMatchObject({ code: 0, output: expect.stringContaining(missing) });
    expect((await jsm.streams.info(STREAM)).config.subjects.sort()).toEqual(config.subjects.sort());
    await as('registry');
    await expectBystanderServed();
  });

  it.each([
    ['a wrong password', () => ({ user: 'registry', pass: 'not-the-password' })],
    ['no credentials', () => ({})],
    [
      "approval's name with the registry's password",
      () => ({
        user: 'approval',
        pass: logins.server.passwords.registry,
      }),
    ],
  ])('refuses a connection with %s', async (_what, auth) => {
    const refused: unknown = await connect({ servers: logins.server.url, ...auth() }).then(
      (nc) => nc.close(),
      (e: unknown) => e,
    );
    expect(refused).toMatchObject({ name: 'AuthorizationError' });
    await expectBystanderServed();
  });
});

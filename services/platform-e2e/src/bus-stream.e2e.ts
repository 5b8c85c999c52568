import { jetstream, jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  DUPLICATE_WINDOW_MS,
  PROVISIONING_COMMAND,
  releaseEventSubjects,
} from '@convergio/messaging';
import { createTestDatabase, runMain, SERVICES, type TestDatabase } from '@convergio/testing';
import { BusLogins, expectViolation, PREFIX, PROVISIONER } from './support/bus-logins.js';

/**
 * Only the provisioning step defines the event stream, on a nats-server run with
 * deploy/nats/nats.conf: no service may create or change it (a stream that also captured the
 * secret broker's requests and replies would hand secret values and tokens to any consumer of
 * it), a service does not boot until the stream is there, and a stream with subjects beyond the
 * release stops every service at boot until the provisioning step puts it right.
 */
const STREAM = `${PREFIX}_EVENTS`;
const RELEASE_SUBJECTS = releaseEventSubjects(PREFIX).sort();
const CAPTURING = [`${PREFIX}.secrets.>`, '_INBOX.>'];

let logins: BusLogins;
let db: TestDatabase;

beforeAll(async () => {
  logins = await BusLogins.start();
  db = await createTestDatabase('stream');
}, 60_000);

afterAll(async () => {
  await logins?.stop();
  await db?.drop();
});

/** The stream's subjects as the provisioner sees them, undefined while there is no stream. */
async function streamSubjects(): Promise<string[] | undefined> {
  const jsm = await jetstreamManager(await logins.raw(PROVISIONER));
  const info = await jsm.streams.info(STREAM).catch(() => undefined);
  return info?.config.subjects.slice().sort();
}

describe('before the provisioning step', () => {
  it.each(SERVICES)('refuses %s the creation of the stream', async (user) => {
    const create = `$JS.API.STREAM.CREATE.${STREAM}`;
    const jsm = await jetstreamManager(await logins.raw(user));
    await expectViolation(
      jsm.streams.add({ name: STREAM, subjects: [...RELEASE_SUBJECTS, ...CAPTURING] }),
      'publish',
      create,
    );
    await logins.expectLogged('Publish', user, create);
    expect(await streamSubjects()).toBeUndefined();
  });

  it.each(SERVICES)('boots no %s: a coded error names the provisioning step', async (service) => {
    expect(await logins.bootRefusal(service)).toMatchObject({
      code: 'event_stream_missing',
      message: expect.stringContaining(PROVISIONING_COMMAND),
    });
    expect(await streamSubjects()).toBeUndefined();
  });

  it('stops a service process at boot with that error', async () => {
    const run = await runMain('approval', {
      NATS_URL: logins.server.url,
      BUS_PREFIX: PREFIX,
      DATABASE_URL: db.url,
      PORT: '0',
      LOG_FORMAT: 'json',
      ...logins.env('approval'),
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain('event_stream_missing');
    expect(run.output).toContain(PROVISIONING_COMMAND);
    expect(await streamSubjects()).toBeUndefined();
  });
});

describe('the provisioning step', () => {
  let provisioned: Awaited<ReturnType<BusLogins['provision']>>;

  beforeAll(async () => {
    provisioned = await logins.provision();
  }, 60_000);

  it("creates the stream with exactly the release's subjects and limits; every service boots on it", async () => {
    expect(provisioned).toMatchObject({ code: 0, output: expect.stringContaining(STREAM) });
    const jsm = await jetstreamManager(await logins.raw(PROVISIONER));
    const { config } = await jsm.streams.info(STREAM);
    expect(config.subjects.slice().sort()).toEqual(RELEASE_SUBJECTS);
    expect(config).toMatchObject({
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
    for (const service of SERVICES) await logins.as(service);
  });

  const request = (nc: NatsConnection, subject: string) => nc.request(subject, '{}');
  const publish = (nc: NatsConnection, subject: string) => jetstream(nc).publish(subject, '{}');
  it.each([
    ['delete the stream', `$JS.API.STREAM.DELETE.${STREAM}`, request],
    ['purge the stream', `$JS.API.STREAM.PURGE.${STREAM}`, request],
    ["take audit's consumer", `$JS.API.CONSUMER.CREATE.${STREAM}.audit`, request],
    ['ask for a secret', `${PREFIX}.secrets.read`, request],
    ['publish an event', `${PREFIX}.plugin.approved.approval`, publish],
  ])('refuses the provisioner to %s', async (_what, subject, attempt) => {
    await expectViolation(attempt(await logins.raw(PROVISIONER), subject), 'publish', subject);
    await logins.expectLogged('Publish', PROVISIONER, subject);
  });

  it('refuses the provisioner a subscription to the inboxes of the services', async () => {
    const sub = (await logins.raw(PROVISIONER)).subscribe('_INBOX.>');
    const closed = sub.closed.then((error) => {
      if (error) throw error;
    });
    await expectViolation(closed, 'subscription', '_INBOX.>');
    await logins.expectLogged('Subscription', PROVISIONER, '_INBOX.>');
  });

  it('stops every service at boot on a stream that captures secrets; its next run removes the capture', async () => {
    // What the audit user could do when it held the update (and any service, creating the stream).
    const jsm = await jetstreamManager(await logins.raw(PROVISIONER));
    await jsm.streams.update(STREAM, { subjects: [...RELEASE_SUBJECTS, ...CAPTURING] });
    for (const service of SERVICES)
      expect(await logins.bootRefusal(service)).toMatchObject({
        code: 'event_stream_foreign_subjects',
        message: expect.stringContaining('_INBOX.>'),
      });
    const run = await logins.provision();
    expect(run).toMatchObject({ code: 0, output: expect.stringContaining('_INBOX.>') });
    expect(await streamSubjects()).toEqual(RELEASE_SUBJECTS);
    for (const service of SERVICES) await logins.as(service);
  });
});

import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { jetstreamManager, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { EventSubjects, type EventPayloadMap } from '@convergio/contracts';
import { addOutboxDeliveryColumnsSql, createOutboxTableSql } from '@convergio/persistence';
import {
  connectTestNats,
  createTestDatabase,
  expectEventually,
  startInterruptibleProxy,
  storedEventIds,
  TEST_NATS_URL,
  type ConfiguredNatsServer,
  type InterruptibleProxy,
  type TestDatabase,
} from '@convergio/testing';
import { BusUnavailableError } from './bus-unavailable.error.js';
import { JetStreamBusClient } from './jetstream-bus.client.js';
import { natsEventSubject, streamName } from './bus-names.js';
import { connectNatsBus, type NatsBusOptions } from './nats-connection.js';
import { startProvisionedNats } from './provisioned-nats.spec-helper.js';
import { TransactionalOutbox } from './transactional-outbox.js';

// One event that can never be published (a subject the stream lacks, a row that no longer parses)
// must not hold up the others, and is set aside after a few attempts; NATS being down is not the
// event's fault and sets nothing aside. Real PostgreSQL, real JetStream (reached through a TCP hop
// the tests cut for an outage).

const prefix = `outbox_dl_${randomUUID().slice(0, 8)}`;
const STREAM = streamName(prefix);
/** Left out of the stream, as by a stream not yet updated for a release that added it. */
const LACKING = EventSubjects.PluginOwnerChanged;
/** Text only the poison row's payload holds: no log line and no recorded error may repeat it. */
const PAYLOAD_TEXT = 'payload-text-never-logged';

let db: TestDatabase;
let dataSource: DataSource;
let hop: InterruptibleProxy;
let options: NatsBusOptions;
let nc: NatsConnection;
let bus: JetStreamBusClient;
let inspector: NatsConnection;
let jsm: JetStreamManager;
let logged: string[];

const revoked = (version: string): EventPayloadMap['plugin.revoked'] => ({
  plugin_id: 'acme.notes',
  version,
  revoked_by: 'admin-key',
});
const ownerChanged: EventPayloadMap['plugin.owner_changed'] = {
  plugin_id: 'acme.notes',
  from: 'acme',
  to: 'globex',
  changed_by: 'admin-key',
};

beforeAll(async () => {
  db = await createTestDatabase('outbox_dl');
  dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
  const target = new URL(TEST_NATS_URL);
  hop = await startInterruptibleProxy({ host: target.hostname, port: Number(target.port) });
  options = { url: `nats://127.0.0.1:${hop.port}`, service: 'registry', prefix };
  nc = await connectNatsBus(options);
  bus = new JetStreamBusClient(nc, options);
  inspector = await connectTestNats();
  jsm = await jetstreamManager(inspector);
  await setStreamSubjects((subjects) =>
    subjects.filter((s) => s !== natsEventSubject(prefix, LACKING, 'registry')),
  );
});

beforeEach(() => {
  logged = [];
  for (const level of ['error', 'warn'] as const)
    jest.spyOn(Logger.prototype, level).mockImplementation((message: unknown) => {
      logged.push(`${level}: ${String(message)}`);
    });
});

afterEach(() => jest.restoreAllMocks());

afterAll(async () => {
  await jsm?.streams.delete(STREAM).catch(() => false);
  await inspector?.close();
  await nc?.close();
  await hop?.close();
  await dataSource?.destroy();
  await db?.drop();
});

async function editStream(edit: (config: StreamConfig) => Partial<StreamConfig>): Promise<void> {
  const { config } = await jsm.streams.info(STREAM);
  await jsm.streams.update(STREAM, { ...config, ...edit(config) });
}
const setStreamSubjects = (edit: (subjects: string[]) => string[]) =>
  editStream((config) => ({ subjects: edit(config.subjects) }));

let tables = 0;
/** An outbox table of its own (so no test relays another's rows), as migrated today. */
async function freshOutbox(maxAttempts: number, client = bus) {
  const schema = `dl_${++tables}`;
  await dataSource.query(`CREATE SCHEMA ${schema}`);
  for (const sql of [...createOutboxTableSql(schema), ...addOutboxDeliveryColumnsSql(schema)])
    await dataSource.query(sql);
  return { schema, outbox: new TransactionalOutbox(dataSource, client, schema, { maxAttempts }) };
}

interface Row {
  sent_at: Date | null;
  attempts: number;
  last_error: string | null;
  /** Seconds from the last failed attempt to the next one allowed. */
  backoff: number | null;
  dead_lettered_at: Date | null;
}
const rowOf = async (schema: string, id: string): Promise<Row> =>
  (
    await dataSource.query<Row[]>(
      `SELECT sent_at, attempts, last_error, dead_lettered_at,
              extract(epoch FROM next_attempt_at - last_attempt_at)::float AS backoff
       FROM ${schema}.outbox WHERE event_id = $1`,
      [id],
    )
  )[0];

/** A row its commit did not publish (the process died), as the relay finds it. */
async function leftover(schema: string, envelope: string, id = randomUUID()): Promise<string> {
  await dataSource.query(
    `INSERT INTO ${schema}.outbox (event_id, subject, envelope, created_at)
     VALUES ($1, $2, $3, now() - interval '1 minute')`,
    [id, EventSubjects.PluginRevoked, envelope],
  );
  return id;
}
const envelopeOf = (id: string, version: string) =>
  JSON.stringify({
    id,
    type: EventSubjects.PluginRevoked,
    version: 1,
    occurred_at: new Date().toISOString(),
    source: 'registry',
    correlation_id: id,
    data: revoked(version),
  });
const goodLeftover = (schema: string, version: string) => {
  const id = randomUUID();
  return leftover(schema, envelopeOf(id, version), id);
};

/** Moves a row's next attempt to `when` (SQL): now, as the passing of its backoff would. */
const nextAttemptAt = (schema: string, id: string, when = 'now()') =>
  dataSource.query(`UPDATE ${schema}.outbox SET next_attempt_at = ${when} WHERE event_id = $1`, [
    id,
  ]);
const backoffElapsed = (schema: string, id: string) => nextAttemptAt(schema, id);

const stored = () => storedEventIds(inspector, STREAM);

describe('TransactionalOutbox with an event that cannot be published', () => {
  // Events the bus refuses because of themselves; `during` sets the stream up for it meanwhile.
  it.each([
    {
      kind: 'a subject the stream lacks',
      subject: LACKING,
      add: (m: EntityManager, outbox: TransactionalOutbox) => outbox.add(m, LACKING, ownerChanged),
      error: `does not take ${natsEventSubject(prefix, LACKING, 'registry')}`,
      during: () => Promise.resolve(() => Promise.resolve()),
    },
    {
      kind: "a body over the stream's size limit",
      subject: EventSubjects.PluginRevoked,
      add: (m: EntityManager, outbox: TransactionalOutbox) =>
        outbox.add(m, EventSubjects.PluginRevoked, {
          ...revoked('1.0.2'),
          reason: 'x'.repeat(1500),
        }),
      error: 'message size exceeds maximum',
      during: async () => {
        await editStream(() => ({ max_msg_size: 1024 }));
        return () => editStream(() => ({ max_msg_size: -1 }));
      },
    },
  ])('publishes and marks the events around $kind, counting its attempt', async (refused) => {
    const { schema, outbox } = await freshOutbox(3);
    const restore = await refused.during();
    let ids: string[];
    try {
      ids = await dataSource.transaction(async (m) => [
        await outbox.add(m, EventSubjects.PluginRevoked, revoked('1.0.0')),
        await refused.add(m, outbox),
        await outbox.add(m, EventSubjects.PluginRevoked, revoked('1.0.1')),
      ]);
    } finally {
      await restore();
    }
    const [before, poison, after] = ids;

    const published = await stored();
    expect(published).toEqual(expect.arrayContaining([before, after]));
    expect(published).not.toContain(poison);
    expect((await rowOf(schema, before)).sent_at).toBeInstanceOf(Date);
    expect((await rowOf(schema, after)).sent_at).toBeInstanceOf(Date);
    expect(await rowOf(schema, poison)).toMatchObject({
      sent_at: null,
      attempts: 1,
      last_error: expect.stringContaining(refused.error),
      backoff: 1,
      dead_lettered_at: null,
    });
    expect(logged).toContainEqual(
      expect.stringMatching(new RegExp(`^warn: .*${poison} \\(${refused.subject}\\)`)),
    );
  });

  it('relays the rows around a poison one, sets it aside after N attempts and retries it no more', async () => {
    const { schema, outbox } = await freshOutbox(3);
    const first = await goodLeftover(schema, '2.0.0');
    const poison = await leftover(schema, `{"id": "x", "data": {"reason": "${PAYLOAD_TEXT}"`);
    const last = await goodLeftover(schema, '2.0.1');

    expect(await outbox.relayPending(0)).toBe(2);
    const ids = await stored();
    expect(ids.indexOf(first)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(last)).toBeGreaterThan(ids.indexOf(first));
    expect((await rowOf(schema, first)).sent_at).toBeInstanceOf(Date);
    expect((await rowOf(schema, last)).sent_at).toBeInstanceOf(Date);
    expect(await rowOf(schema, poison)).toMatchObject({
      attempts: 1,
      backoff: 1,
      dead_lettered_at: null,
    });

    // Not again before its next attempt is due; then once per pass, waiting twice as long each time.
    await nextAttemptAt(schema, poison, `now() + interval '1 minute'`);
    expect(await outbox.relayPending(0)).toBe(0);
    expect((await rowOf(schema, poison)).attempts).toBe(1);
    await backoffElapsed(schema, poison);
    expect(await outbox.relayPending(0)).toBe(0);
    expect(await rowOf(schema, poison)).toMatchObject({ attempts: 2, backoff: 2 });
    await backoffElapsed(schema, poison);
    expect(await outbox.relayPending(0)).toBe(0);
    const dead = await rowOf(schema, poison);
    expect(dead.attempts).toBe(3);
    expect(dead.dead_lettered_at).toBeInstanceOf(Date);
    expect(dead.last_error).toMatch(/not valid JSON/);
    expect(await outbox.countDeadLettered()).toBe(1);
    expect(logged).toContainEqual(
      expect.stringMatching(
        new RegExp(`^error: .*${poison}.*${EventSubjects.PluginRevoked}.*dead-lettered`),
      ),
    );
    expect(logged.join('\n')).not.toContain(PAYLOAD_TEXT);
    expect(dead.last_error).not.toContain(PAYLOAD_TEXT);

    // Set aside: no longer tried, and rows written after it still go out.
    await backoffElapsed(schema, poison);
    const later = await goodLeftover(schema, '2.0.2');
    expect(await outbox.relayPending(0)).toBe(1);
    expect(await stored()).toContain(later);
    expect(await rowOf(schema, poison)).toMatchObject({ attempts: 3, sent_at: null });
  });

  it('counts no attempt while NATS is unreachable, and delivers once it is back', async () => {
    // One attempt would set an event aside: an outage counting as one would show at once.
    const { schema, outbox } = await freshOutbox(1);
    await hop.cut();
    try {
      const id = await dataSource.transaction((m) =>
        outbox.add(m, EventSubjects.PluginRevoked, revoked('3.0.0')),
      );
      expect(await rowOf(schema, id)).toMatchObject({
        sent_at: null,
        attempts: 0,
        dead_lettered_at: null,
      });
      await dataSource.query(
        `UPDATE ${schema}.outbox SET created_at = now() - interval '1 minute' WHERE event_id = $1`,
        [id],
      );
      await expect(outbox.relayPending(0)).rejects.toBeInstanceOf(BusUnavailableError);
      expect(await rowOf(schema, id)).toMatchObject({
        sent_at: null,
        attempts: 0,
        last_error: expect.stringMatching(/timeout/),
        dead_lettered_at: null,
      });
      expect(await outbox.countDeadLettered()).toBe(0);

      await hop.restore();
      await expectEventually(() => expect(bus.isReady()).toBe(true));
      expect(await outbox.relayPending(0)).toBe(1);
      expect((await stored()).filter((e) => e === id)).toHaveLength(1);
      expect(await rowOf(schema, id)).toMatchObject({ attempts: 0, dead_lettered_at: null });
      expect((await rowOf(schema, id)).sent_at).toBeInstanceOf(Date);
    } finally {
      await hop.restore().catch(() => undefined);
    }
  }, 60_000);

  it('delivers after a restart what was left to retry, and not what was set aside', async () => {
    const { schema, outbox } = await freshOutbox(2);
    const waiting = await dataSource.transaction((m) => outbox.add(m, LACKING, ownerChanged));
    await nextAttemptAt(schema, waiting, `now() + interval '1 minute'`);
    const dead = await leftover(schema, 'not json');
    expect(await outbox.relayPending(0)).toBe(0);
    await backoffElapsed(schema, dead);
    expect(await outbox.relayPending(0)).toBe(0);
    expect((await rowOf(schema, waiting)).attempts).toBe(1);
    expect((await rowOf(schema, dead)).dead_lettered_at).toBeInstanceOf(Date);

    // The stream gets the subject (the release's provisioning step ran); the service restarts.
    await setStreamSubjects((subjects) => [
      ...subjects,
      natsEventSubject(prefix, LACKING, 'registry'),
    ]);
    const restartedNc = await connectNatsBus({ ...options, url: TEST_NATS_URL });
    try {
      const restarted = new TransactionalOutbox(
        dataSource,
        new JetStreamBusClient(restartedNc, { ...options, url: TEST_NATS_URL }),
        schema,
        { maxAttempts: 2 },
      );
      await dataSource.query(
        `UPDATE ${schema}.outbox SET created_at = now() - interval '1 minute', next_attempt_at = now()`,
      );
      expect(await restarted.relayPending(0)).toBe(1);
      expect(await stored()).toContain(waiting);
      expect((await rowOf(schema, waiting)).sent_at).toBeInstanceOf(Date);
      expect(await rowOf(schema, dead)).toMatchObject({ sent_at: null, attempts: 2 });
      expect(await restarted.relayPending(0)).toBe(0);
    } finally {
      await restartedNc.close();
    }
  });

  it('relays a row written before the upgrade that added attempts', async () => {
    const schema = `dl_${++tables}`;
    await dataSource.query(`CREATE SCHEMA ${schema}`);
    for (const sql of createOutboxTableSql(schema)) await dataSource.query(sql);
    const id = await goodLeftover(schema, '4.0.0');
    for (const sql of addOutboxDeliveryColumnsSql(schema)) await dataSource.query(sql);

    const outbox = new TransactionalOutbox(dataSource, bus, schema, { maxAttempts: 3 });
    expect(await outbox.relayPending(0)).toBe(1);
    expect(await stored()).toContain(id);
    expect(await rowOf(schema, id)).toMatchObject({ attempts: 0, dead_lettered_at: null });
  });
});

describe('TransactionalOutbox on deploy/nats/nats.conf', () => {
  let server: ConfiguredNatsServer;
  let registryNc: NatsConnection;
  let registryOptions: NatsBusOptions;

  beforeAll(async () => {
    server = await startProvisionedNats();
    registryOptions = {
      url: server.url,
      service: 'registry',
      prefix: 'convergio',
      credentials: { user: 'registry', password: server.passwords.registry },
    };
    registryNc = await connectNatsBus(registryOptions);
  });
  afterAll(async () => {
    await registryNc?.close();
    await server?.stop();
  });

  it('publishes and marks the events around one its NATS user may not publish, counting its attempt', async () => {
    const { schema, outbox } = await freshOutbox(
      3,
      new JetStreamBusClient(registryNc, registryOptions),
    );
    const [before, poison, after] = await dataSource.transaction(async (m) => [
      await outbox.add(m, EventSubjects.PluginRevoked, revoked('5.0.0')),
      // Only the secret broker may publish secret.changed.
      await outbox.add(m, EventSubjects.SecretChanged, {
        secret_id: 'db-password',
        action: 'stored',
        actor: 'admin-key',
      }),
      await outbox.add(m, EventSubjects.PluginRevoked, revoked('5.0.1')),
    ]);

    // Marked sent only once JetStream acknowledged storing them.
    expect((await rowOf(schema, before)).sent_at).toBeInstanceOf(Date);
    expect((await rowOf(schema, after)).sent_at).toBeInstanceOf(Date);
    expect(await rowOf(schema, poison)).toMatchObject({
      sent_at: null,
      attempts: 1,
      last_error: expect.stringContaining(
        'Permissions Violation for Publish to "convergio.secret.changed.registry"',
      ),
      dead_lettered_at: null,
    });
  });
});

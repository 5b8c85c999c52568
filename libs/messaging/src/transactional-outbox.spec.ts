import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { DataSource } from 'typeorm';
import { DomainError, EventSubjects, type EventPayloadMap } from '@convergio/contracts';
import { addOutboxDeliveryColumnsSql, createOutboxTableSql } from '@convergio/persistence';
import {
  createTestDatabase,
  storedEventIds,
  TEST_NATS_URL,
  type TestDatabase,
} from '@convergio/testing';
import { JetStreamBusClient } from './jetstream-bus.client.js';
import { natsEventSubject, streamName } from './bus-names.js';
import { connectNatsBus } from './nats-connection.js';
import { TransactionalOutbox } from './transactional-outbox.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SCHEMA = 'registry';
const prefix = `outbox_${randomUUID().slice(0, 8)}`;

let db: TestDatabase;
let dataSource: DataSource;
let nc: NatsConnection;
let jsm: JetStreamManager;
let outbox: TransactionalOutbox;

const revoked = (version: string): EventPayloadMap['plugin.revoked'] => ({
  plugin_id: 'acme.notes',
  version,
  revoked_by: 'admin-key',
});

beforeAll(async () => {
  db = await createTestDatabase('outbox');
  dataSource = await new DataSource({ type: 'postgres', url: db.url }).initialize();
  await dataSource.query(`CREATE SCHEMA ${SCHEMA}`);
  await dataSource.query(`CREATE TABLE ${SCHEMA}.things (id text PRIMARY KEY)`);
  for (const sql of [...createOutboxTableSql(SCHEMA), ...addOutboxDeliveryColumnsSql(SCHEMA)])
    await dataSource.query(sql);
  nc = await connectNatsBus({ url: TEST_NATS_URL, service: 'registry', prefix });
  jsm = await jetstreamManager(nc);
  outbox = new TransactionalOutbox(
    dataSource,
    new JetStreamBusClient(nc, { url: TEST_NATS_URL, service: 'registry', prefix }),
    SCHEMA,
  );
});

afterAll(async () => {
  await jsm?.streams.delete(streamName(prefix)).catch(() => false);
  await nc?.close();
  await dataSource?.destroy();
  await db?.drop();
});

/** The ids of the plugin.revoked events JetStream holds, in order. */
const storedIds = () =>
  storedEventIds(
    nc,
    streamName(prefix),
    natsEventSubject(prefix, EventSubjects.PluginRevoked, 'registry'),
  );

const row = async (id: string) =>
  (
    await dataSource.query<{ sent_at: Date | null }[]>(
      `SELECT sent_at FROM ${SCHEMA}.outbox WHERE event_id = $1`,
      [id],
    )
  )[0];

describe('TransactionalOutbox on PostgreSQL and JetStream', () => {
  it('publishes an event once its transaction commits, and marks it sent', async () => {
    const id = await dataSource.transaction(async (m) => {
      await m.query(`INSERT INTO ${SCHEMA}.things VALUES ('a')`);
      return outbox.add(m, EventSubjects.PluginRevoked, revoked('1.0.0'));
    });
    expect(await storedIds()).toContain(id);
    expect((await row(id)).sent_at).toBeInstanceOf(Date);
  });

  it('keeps and publishes intact text jsonb could not store (NUL, a lone surrogate)', async () => {
    const message = 'refused /etc/\u0000passwd\ud800';
    const id = await outbox.record(EventSubjects.SubmissionRefused, {
      plugin_id: 'acme.notes',
      version: '1.0.0',
      publisher: 'acme',
      submitted_by: 'k1',
      code: 'not_owner',
      message,
    });
    const stored = await jsm.streams.getMessage(streamName(prefix), {
      last_by_subj: natsEventSubject(prefix, EventSubjects.SubmissionRefused, 'registry'),
    });
    expect(stored?.json<{ id: string; data: { message: string } }>()).toMatchObject({
      id,
      data: { message },
    });
    expect((await row(id)).sent_at).toBeInstanceOf(Date);
  });

  it('writes and publishes nothing for a transaction rolled back', async () => {
    let id = '';
    await expect(
      dataSource.transaction(async (m) => {
        id = await outbox.add(m, EventSubjects.PluginRevoked, revoked('1.0.1'));
        await m.query(`INSERT INTO ${SCHEMA}.things VALUES ('a')`); // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await row(id)).toBeUndefined();
    expect(await storedIds()).not.toContain(id);
  });

  it('publishes nothing of a savepoint rolled back inside a committed transaction', async () => {
    let inner = '';
    const outer = await dataSource.transaction(async (m) => {
      await m
        .transaction(async (savepoint) => {
          inner = await outbox.add(savepoint, EventSubjects.PluginRevoked, revoked('1.1.0'));
          throw new Error('the savepoint fails');
        })
        .catch(() => undefined);
      return outbox.add(m, EventSubjects.PluginRevoked, revoked('1.1.1'));
    });
    const ids = await storedIds();
    expect(ids).toContain(outer);
    expect(ids).not.toContain(inner);
    expect(await row(inner)).toBeUndefined();
  });

  it('refuses an invalid event with a coded error, writing nothing', async () => {
    const before = await dataSource.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`);
    const refused: unknown = await dataSource
      .transaction((m) =>
        outbox.add(m, EventSubjects.PluginRevoked, { plugin_id: 'acme.notes' } as never),
      )
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect(refused).toMatchObject({ code: 'validation_failed' });
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`)).toEqual(
      before,
    );
  });

  it('records many events in one transaction, in order, or none of them', async () => {
    const ids = await outbox.recordAll(EventSubjects.PluginRevoked, [
      revoked('7.0.0'),
      revoked('7.0.1'),
      revoked('7.0.2'),
    ]);
    const stored = await storedIds();
    expect(stored.slice(stored.indexOf(ids[0]), stored.indexOf(ids[0]) + 3)).toEqual(ids);
    for (const id of ids) expect((await row(id)).sent_at).toBeInstanceOf(Date);
    const before = await dataSource.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`);
    await expect(
      outbox.recordAll(EventSubjects.PluginRevoked, [
        revoked('7.1.0'),
        { plugin_id: 'acme.notes' } as never,
      ]),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    expect(await dataSource.query(`SELECT count(*)::int AS n FROM ${SCHEMA}.outbox`)).toEqual(
      before,
    );
  });

  it('refuses to add outside a transaction', async () => {
    await expect(
      outbox.add(dataSource.manager, EventSubjects.PluginRevoked, revoked('1.0.2')),
    ).rejects.toThrow(/needs a transaction/);
  });

  it('delivers once an event whose process was killed between commit and publish', async () => {
    // A real process commits a change with its event, then dies (SIGKILL) when it would publish.
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `
        import { DataSource } from 'typeorm';
        import { InProcessBusClient, InProcessHub, TransactionalOutbox } from './libs/messaging/dist/index.js';
        class DiesOnPublish extends InProcessBusClient {
          send() { process.kill(process.pid, 'SIGKILL'); return new Promise(() => {}); }
        }
        const ds = await new DataSource({ type: 'postgres', url: process.env.DB }).initialize();
        const outbox = new TransactionalOutbox(ds, new DiesOnPublish(new InProcessHub(), 'registry'), '${SCHEMA}');
        await ds.transaction(async (m) => {
          await m.query("INSERT INTO ${SCHEMA}.things VALUES ('killed')");
          await outbox.add(m, 'plugin.revoked', ${JSON.stringify(revoked('2.0.0'))});
        });
        `,
      ],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH, DB: db.url },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const signal = await new Promise((resolve) => child.once('exit', (_code, s) => resolve(s)));
    expect({ signal, stderr }).toEqual({ signal: 'SIGKILL', stderr: '' });
    const [left] = await dataSource.query<{ event_id: string; sent_at: Date | null }[]>(
      `SELECT event_id, sent_at FROM ${SCHEMA}.outbox WHERE envelope LIKE '%"version":"2.0.0"%'`,
    );
    expect(left.sent_at).toBeNull();
    expect(await storedIds()).not.toContain(left.event_id);

    // The relay (of the restarted process, or another replica) publishes it.
    expect(await outbox.relayPending(0)).toBe(1);
    expect((await storedIds()).filter((id) => id === left.event_id)).toHaveLength(1);
    expect((await row(left.event_id)).sent_at).toBeInstanceOf(Date);
    expect(await outbox.relayPending(0)).toBe(0);
  });

  it('stores once an event published but not marked sent before a crash', async () => {
    const id = await dataSource.transaction(async (m) => {
      const eventId = await outbox.add(m, EventSubjects.PluginRevoked, revoked('3.0.0'));
      // The commit publishes it; a crash before the mark would leave it unsent, as here.
      return eventId;
    });
    await dataSource.query(`UPDATE ${SCHEMA}.outbox SET sent_at = NULL WHERE event_id = $1`, [id]);
    expect(await outbox.relayPending(0)).toBe(1);
    expect((await storedIds()).filter((e) => e === id)).toHaveLength(1);
  });

  it('leaves a young unsent row to its own commit, and publishes it once older', async () => {
    const [{ event_id: id }] = await dataSource.transaction(async (m) => {
      await outbox.add(m, EventSubjects.PluginRevoked, revoked('4.0.0'));
      return m.query<{ event_id: string }[]>(
        `SELECT event_id FROM ${SCHEMA}.outbox ORDER BY seq DESC LIMIT 1`,
      );
    });
    await dataSource.query(`UPDATE ${SCHEMA}.outbox SET sent_at = NULL WHERE event_id = $1`, [id]);
    expect(await outbox.relayPending(60_000)).toBe(0);
    await dataSource.query(
      `UPDATE ${SCHEMA}.outbox SET created_at = now() - interval '2 minutes' WHERE event_id = $1`,
      [id],
    );
    expect(await outbox.relayPending(60_000)).toBe(1);
  });
});

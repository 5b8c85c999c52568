import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, QueryFailedError } from 'typeorm';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import {
  createDataSourceOptions,
  runMigrations,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from '@convergio/persistence';
import { createTestDatabase, type TestDatabase } from '@convergio/testing';
import { auditPersistence } from '../index.js';
import { AUDIT_WRITER_ROLE } from '../audit.schema.js';
import { asAuditRole } from '../events/as-audit-role.js';
import { prepareRecord } from '../events/audit-row.js';
import { appendToChain } from '../events/chain-append.js';

// PGlite's first start runs initdb (seconds).
const PGLITE_TIMEOUT_MS = 60_000;
/** PostgreSQL's refusal by grants, and the append-only trigger's (restrict_violation). */
const NO_PRIVILEGE = '42501';
const APPEND_ONLY = '23001';

const anEvent = (n: number): EventEnvelope => ({
  id: randomUUID(),
  type: EventSubjects.PluginUnloaded,
  version: 1,
  occurred_at: new Date().toISOString(),
  source: 'executor',
  correlation_id: `c-${n}`,
  data: { plugin_id: 'a.log', version: '1.0.0', instance: 'i', reason: 'idle' },
});

/** Appends as the audit service does. */
const append = (dataSource: DataSource, ...events: EventEnvelope[]) =>
  asAuditRole(
    dataSource,
    (m) =>
      appendToChain(
        m,
        events.map((e) => prepareRecord(e, new Date().toISOString())),
        'batch',
      ),
    { appending: true },
  );

async function refusal(work: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await work;
  } catch (error) {
    if (!(error instanceof QueryFailedError)) throw error;
    const { code } = error.driverError as { code: string };
    return { code, message: error.message };
  }
  throw new Error('the statement was not refused');
}

/** The same refusals on every database the audit log runs on. */
function appendOnlySuite(open: () => Promise<{ dataSource: DataSource; close(): Promise<void> }>) {
  let dataSource: DataSource;
  let close: () => Promise<void>;
  const count = async () =>
    Number(
      (await dataSource.query<{ n: string }[]>('SELECT count(*) AS n FROM audit.events'))[0].n,
    );
  const asRole = (sql: string) => asAuditRole(dataSource, (m) => m.query(sql));

  beforeAll(async () => {
    ({ dataSource, close } = await open());
    await append(dataSource, anEvent(1), anEvent(2));
  }, PGLITE_TIMEOUT_MS);
  afterAll(() => close?.());

  it('lets the audit role read and append, nothing else', async () => {
    expect(await asRole(`SELECT current_user AS who`)).toEqual([{ who: AUDIT_WRITER_ROLE }]);
    for (const sql of [
      `UPDATE audit.events SET source = 'forged'`,
      `DELETE FROM audit.events`,
      `TRUNCATE audit.events`,
      `ALTER TABLE audit.events DISABLE TRIGGER USER`,
      `SET session_replication_role = replica`,
      `DROP TRIGGER events_append_only ON audit.events`,
      `DROP TABLE audit.events`,
      // Replacing the trigger's function with one that lets everything through.
      `CREATE OR REPLACE FUNCTION audit.refuse_audit_change() RETURNS trigger
         LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END $$`,
      // An upsert is an UPDATE too.
      `INSERT INTO audit.events SELECT * FROM audit.events WHERE seq = 1
         ON CONFLICT (seq) DO UPDATE SET source = 'forged'`,
    ])
      expect(await refusal(asRole(sql))).toMatchObject({ code: NO_PRIVILEGE });
    expect(await count()).toBe(2);
    // A bystander: appends still work.
    await append(dataSource, anEvent(3));
    expect(await count()).toBe(3);
  });

  it('refuses UPDATE, DELETE and TRUNCATE to the owner and superuser through its triggers', async () => {
    const before: unknown = await dataSource.query('SELECT * FROM audit.events ORDER BY seq');
    for (const [sql, op] of [
      [`UPDATE audit.events SET data = '{}' WHERE seq = 1`, 'UPDATE'],
      [`DELETE FROM audit.events WHERE seq = 1`, 'DELETE'],
      [`TRUNCATE audit.events`, 'TRUNCATE'],
      [
        `INSERT INTO audit.events SELECT * FROM audit.events WHERE seq = 1
           ON CONFLICT (seq) DO UPDATE SET source = 'forged'`,
        'UPDATE',
      ],
    ])
      expect(await refusal(dataSource.query(sql))).toEqual({
        code: APPEND_ONLY,
        message: `audit.events is append-only: ${op} refused`,
      });
    expect(await dataSource.query('SELECT * FROM audit.events ORDER BY seq')).toEqual(before);
  });
}

describe('the audit log is append-only on PostgreSQL', () => {
  let db: TestDatabase;
  appendOnlySuite(async () => {
    db = await createTestDatabase('audit');
    const dataSource = await new DataSource(
      createDataSourceOptions({ url: db.url, ...auditPersistence }),
    ).initialize();
    await runMigrations(dataSource);
    return {
      dataSource,
      close: async () => {
        await dataSource.destroy();
        await db.drop();
      },
    };
  });
});

describe('the audit log is append-only on PGlite (standalone mode)', () => {
  let root: string;
  let server: EmbeddedPostgres;
  appendOnlySuite(async () => {
    root = await mkdtemp(join(tmpdir(), 'convergio-audit-pglite-'));
    server = await startEmbeddedPostgres(join(root, 'pg'));
    // As standalone mode opens it: one connection, every service's migrations in one schema.
    const dataSource = await new DataSource(
      createDataSourceOptions({
        ...auditPersistence,
        url: server.url,
        schema: 'standalone',
        poolSize: 1,
      }),
    ).initialize();
    await runMigrations(dataSource);
    return {
      dataSource,
      close: async () => {
        await dataSource.destroy();
        await server.stop();
        await rm(root, { recursive: true, force: true });
      },
    };
  });
});

import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { createDataSourceOptions, runMigrations } from '@convergio/persistence';
import { createTestDatabase, TEST_POSTGRES_URL, type TestDatabase } from '@convergio/testing';
import { AUDIT_WRITER_ROLE } from '../audit.schema.js';
import { ChainVerifyService } from '../chain/chain-verify.service.js';
import { asAuditRole } from '../events/as-audit-role.js';
import { auditPersistence } from '../index.js';

/**
 * Distributed mode with a login that is neither superuser nor CREATEROLE, owner of its database,
 * as the operator guide describes: the role made and granted to it beforehand.
 */
describe('the audit role with an ordinary login', () => {
  const login = `audit_login_${randomBytes(4).toString('hex')}`;
  let db: TestDatabase;
  let admin: pg.Client;
  let dataSource: DataSource | undefined;

  beforeAll(async () => {
    db = await createTestDatabase('audit_login');
    // Outside the test database, which is dropped with its connections.
    admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
    await admin.connect();
    await admin.query(`CREATE ROLE ${login} LOGIN`);
    await admin.query(`ALTER DATABASE "${db.name}" OWNER TO ${login}`);
    await admin.query(`DO $$ BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${AUDIT_WRITER_ROLE}') THEN
        CREATE ROLE ${AUDIT_WRITER_ROLE} NOLOGIN;
      END IF;
    EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$`);
    await admin.query(`GRANT ${AUDIT_WRITER_ROLE} TO ${login}`);
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
    await admin?.query(`DROP ROLE IF EXISTS ${login}`);
    await admin?.end();
  });

  it('migrates, appends and verifies, and the owner it logs in as cannot change a record', async () => {
    const url = new URL(db.url);
    url.username = login;
    dataSource = await new DataSource(
      createDataSourceOptions({ ...auditPersistence, url: url.toString() }),
    ).initialize();
    await runMigrations(dataSource);
    expect(
      await dataSource.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user'),
    ).toEqual([{ rolsuper: false }]);
    await asAuditRole(
      dataSource,
      (m) =>
        m.query(
          `INSERT INTO audit.events (seq, event_id, type, source, correlation_id, occurred_at, recorded_at, data, prev_hash, hash)
           VALUES (1, gen_random_uuid(), 'plugin.loaded', 'x', 'c', now(), now(), '{}', repeat('0', 64), repeat('0', 64))`,
        ),
      { appending: true },
    );
    const refused = await dataSource.query('DELETE FROM audit.events').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueryFailedError);
    expect((refused as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe(
      '23001',
    );
    // The hand-made row above has a made-up hash: verify says so, as the role.
    expect(
      await new ChainVerifyService(dataSource).verifySegment({ after: null, limit: 10 }),
    ).toMatchObject({ first_broken: { seq: 1, problem: 'changed' } });
  });
});

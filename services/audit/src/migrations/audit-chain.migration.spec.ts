import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { createDataSourceOptions, runMigrations } from '@convergio/persistence';
import { createTestDatabase, type TestDatabase } from '@convergio/testing';
import { bytesReadBy } from '../bytes-read.spec-helper.js';
import { AUDIT_SCHEMA } from '../audit.schema.js';
import { ChainVerifyService } from '../chain/chain-verify.service.js';
import { CHAIN_READ_BUDGET } from '../chain/stored-records.js';
import { auditPersistence } from '../index.js';
import { AuditInit1764300000000 } from './1764300000000-audit-init.js';

describe('the chain migration on a log recorded before it', () => {
  let db: TestDatabase;
  let dataSource: DataSource | undefined;

  const open = async (migrations: typeof auditPersistence.migrations) => {
    const ds = await new DataSource(
      createDataSourceOptions({ url: db.url, ...auditPersistence, migrations }),
    ).initialize();
    await runMigrations(ds);
    return ds;
  };

  beforeAll(async () => {
    db = await createTestDatabase('audit_mig');
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('chains the records already there, gaps in seq included, so the log verifies', async () => {
    const legacy = await open([AuditInit1764300000000]);
    for (const n of [1, 2, 3, 4]) {
      await legacy.query(
        `INSERT INTO ${AUDIT_SCHEMA}.events (event_id, type, source, plugin_id, version, correlation_id, occurred_at, data)
         VALUES ($1, 'plugin.loaded', 'executor', 'a.old', '1.0.0', $2, now(), $3)`,
        [randomUUID(), `c-${n}`, JSON.stringify({ plugin_id: 'a.old', n })],
      );
      // A failed insert once burnt seq 3.
      if (n === 2) await legacy.query(`SELECT nextval('${AUDIT_SCHEMA}.events_seq_seq')`);
    }
    await legacy.destroy();

    dataSource = await open(auditPersistence.migrations);
    const rows = await dataSource.query<{ seq: number; prev_hash: string; hash: string }[]>(
      `SELECT seq::int AS seq, prev_hash, hash FROM ${AUDIT_SCHEMA}.events ORDER BY seq`,
    );
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 4, 5]);
    expect(rows[0].prev_hash).toBe('0'.repeat(64));
    expect(rows.slice(1).map((r) => r.prev_hash)).toEqual(rows.slice(0, -1).map((r) => r.hash));
    expect(
      await new ChainVerifyService(dataSource).verifySegment({ after: null, limit: 100 }),
    ).toMatchObject({ records_checked: 4, first_broken: null, done: true });
  });

  it('chains large records a read budget at a time', async () => {
    const large = await createTestDatabase('audit_mig_large');
    const legacy = await new DataSource(
      createDataSourceOptions({
        url: large.url,
        ...auditPersistence,
        migrations: [AuditInit1764300000000],
      }),
    ).initialize();
    try {
      await runMigrations(legacy);
      // Twenty records of 300 KB: 6 MB in the first page of 1,000.
      for (let n = 0; n < 20; n++)
        await legacy.query(
          `INSERT INTO ${AUDIT_SCHEMA}.events (event_id, type, source, plugin_id, version, correlation_id, occurred_at, data)
           VALUES ($1, 'plugin.loaded', 'executor', 'a.old', '1.0.0', $2, now(), $3)`,
          [
            randomUUID(),
            `c-${n}`,
            JSON.stringify({ plugin_id: 'a.old', note: 'y'.repeat(300_000) }),
          ],
        );
      await legacy.destroy();
      const chained = new DataSource(
        createDataSourceOptions({ url: large.url, ...auditPersistence }),
      );
      await chained.initialize();
      try {
        const { largest } = await bytesReadBy(chained, () => runMigrations(chained));
        expect(largest).toBeLessThanOrEqual(CHAIN_READ_BUDGET + 64 * 1024);
        expect(
          await new ChainVerifyService(chained).verifySegment({ after: null, limit: 5000 }),
        ).toMatchObject({ first_broken: null, done: false });
      } finally {
        await chained.destroy();
      }
    } finally {
      if (legacy.isInitialized) await legacy.destroy();
      await large.drop();
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { startEmbeddedPostgres } from '@convergio/persistence';
import { createTestDatabase } from '@convergio/testing';
import { executorPersistence } from '../index.js';
import { VersionRecordRow } from '../versions/version-record.entity.js';
import { ExecutorInit1764300000000 } from './1764300000000-executor-init.js';
import { ExecutorPolicyViolations1764500000000 } from './1764500000000-executor-policy-violations.js';
import { ExecutorPluginVersions1764800000000 } from './1764800000000-executor-plugin-versions.js';
import { ExecutorVersionPublisher1767400000000 } from './1767400000000-executor-version-publisher.js';

/** A database the executor's earlier migrations can run on, and how to drop it. */
interface Database {
  url: string;
  poolSize?: number;
  close(): Promise<void>;
}

const databases: [string, () => Promise<Database>][] = [
  [
    'PostgreSQL',
    async () => {
      const db = await createTestDatabase('mig');
      return { url: db.url, close: () => db.drop() };
    },
  ],
  [
    // Standalone mode: PGlite behind its socket, which serves one connection at a time.
    'PGlite',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'convergio-mig-'));
      const server = await startEmbeddedPostgres(dir);
      return {
        url: server.url,
        poolSize: 1,
        close: async () => {
          await server.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];

describe.each(databases)('migration ExecutorPluginVersions1764800000000 on %s', (_, open) => {
  let db: Database;
  let ds: DataSource;

  beforeAll(async () => {
    db = await open();
    ds = new DataSource({
      type: 'postgres',
      url: db.url,
      poolSize: db.poolSize,
      entities: executorPersistence.entities,
      migrations: [ExecutorInit1764300000000, ExecutorPolicyViolations1764500000000],
    });
    await ds.initialize();
    await ds.runMigrations();
  }, 60_000);
  afterAll(async () => {
    await ds?.destroy();
    await db?.close();
  });

  // This migration, and the later one adding a column to its table (the entity has it).
  const migrations = [
    new ExecutorPluginVersions1764800000000(),
    new ExecutorVersionPublisher1767400000000(),
  ];
  const migrate = async (direction: 'up' | 'down') => {
    const runner = ds.createQueryRunner();
    try {
      const inOrder = direction === 'up' ? migrations : [...migrations].reverse();
      for (const migration of inOrder) await migration[direction](runner);
    } finally {
      await runner.release();
    }
  };

  const relations = async () =>
    (
      await ds.query<{ name: string }[]>(
        `SELECT relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'executor' AND relname NOT LIKE 'processed_events%' ORDER BY relname`,
      )
    ).map((r) => r.name);

  it('renames executor.deployments to plugin_versions, its key and index with it, keeping its rows', async () => {
    await ds.query(
      `INSERT INTO executor.deployments
         (plugin_id, version, status, manifest, module_sha256, trust, approved_at, policy_violations)
       VALUES ('kept.one', '1.0.0', 'approved', '{"id": "kept.one"}', 'a', 'untrusted',
               '2026-01-01T00:00:00Z', '[{"rule": "net"}]'),
              ('kept.one', '1.1.0', 'pending', NULL, 'b', NULL, NULL, DEFAULT)`,
    );

    await migrate('up');

    expect(await relations()).toEqual([
      'plugin_versions',
      'plugin_versions_pkey',
      'plugin_versions_status_idx',
    ]);
    expect(await ds.getRepository(VersionRecordRow).find({ order: { version: 'ASC' } })).toEqual([
      expect.objectContaining({
        pluginId: 'kept.one',
        version: '1.0.0',
        status: 'approved',
        manifest: { id: 'kept.one' },
        trust: 'untrusted',
        approvedAt: new Date('2026-01-01T00:00:00Z'),
        policyViolations: [{ rule: 'net' }],
        publisher: null, // charged per plugin id (ADR 0021)
      }),
      expect.objectContaining({ version: '1.1.0', status: 'pending', policyViolations: [] }),
    ]);
  });

  it('leaves the schema the entities declare, and down gives the old names back', async () => {
    expect((await ds.driver.createSchemaBuilder().log()).upQueries).toEqual([]);

    await migrate('down');

    expect(await relations()).toEqual([
      'deployments',
      'deployments_pkey',
      'deployments_status_idx',
    ]);
    expect(await ds.query(`SELECT count(*)::int AS n FROM executor.deployments`)).toEqual([
      { n: 2 },
    ]);
  });
});

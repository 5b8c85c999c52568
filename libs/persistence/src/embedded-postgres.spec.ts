import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from './data-source-options.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
import { handleOnce } from './handle-once.js';
import { isDatabaseReady } from './database-readiness.js';
import { runMigrations } from './run-migrations.js';
import { serviceSchemaFixture } from './service-schema.fixture.js';

// PGlite's first start runs initdb (seconds); the test starts it twice.
const PGLITE_TIMEOUT_MS = 60_000;

describe('startEmbeddedPostgres (PGlite)', () => {
  const registry = serviceSchemaFixture('emb_registry');
  const audit = serviceSchemaFixture('emb_audit');
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'convergio-pglite-'));
  });

  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  // The standalone process: one DataSource, pool of one, every service's entities and migrations.
  async function openStandalone(server: EmbeddedPostgres): Promise<DataSource> {
    const dataSource = await new DataSource(
      createDataSourceOptions({
        url: server.url,
        schema: 'standalone',
        entities: [...registry.entities, ...audit.entities],
        migrations: [...registry.migrations, ...audit.migrations],
        poolSize: 1,
      }),
    ).initialize();
    await runMigrations(dataSource);
    return dataSource;
  }

  it(
    'runs the migrations of several service schemas in one DataSource and keeps data across restarts',
    async () => {
      const dataDir = join(root, 'data', 'not-yet-created');
      const widgetId = randomUUID();
      const eventId = randomUUID();

      const first = await startEmbeddedPostgres(dataDir);
      const before = await openStandalone(first);
      expect(first.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
      expect(await isDatabaseReady(before)).toBe(true);
      await before.getRepository(registry.widgets).save({ id: widgetId, label: 'kept' });
      await handleOnce(before, audit.processedEvents, 'audit-log', eventId, async (manager) =>
        manager.getRepository(audit.widgets).save({ id: randomUUID(), label: 'audited' }),
      );
      await before.destroy();
      await first.stop();

      const second = await startEmbeddedPostgres(dataDir);
      const after = await openStandalone(second);
      try {
        expect(await after.getRepository(registry.widgets).findOneBy({ id: widgetId })).toEqual({
          id: widgetId,
          label: 'kept',
        });
        const replay = await handleOnce(after, audit.processedEvents, 'audit-log', eventId, () =>
          Promise.resolve('redone'),
        );
        expect(replay).toEqual({ duplicate: true });
        const history: { name: string }[] = await after.query(
          'SELECT name FROM standalone.migrations ORDER BY id',
        );
        expect(history.map((m) => m.name)).toEqual([
          'emb_registryCreateWidgets1700000000000',
          'emb_auditCreateWidgets1700000000000',
        ]);
      } finally {
        await after.destroy();
        await second.stop();
      }
    },
    PGLITE_TIMEOUT_MS,
  );
});

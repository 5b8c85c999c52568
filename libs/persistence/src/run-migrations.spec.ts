import { createTestDatabase, type TestDatabase } from '@convergio/testing';
import { DataSource } from 'typeorm';
import { createDataSourceOptions } from './data-source-options.js';
import { runMigrations } from './run-migrations.js';
import { serviceSchemaFixture } from './service-schema.fixture.js';

describe('runMigrations (PostgreSQL)', () => {
  let database: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    const registry = serviceSchemaFixture('registry');
    dataSource = await new DataSource(
      createDataSourceOptions({ url: database.url, schema: 'registry', ...registry }),
    ).initialize();
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('creates the service schema, applies pending migrations once and records them in <schema>.migrations', async () => {
    const first = await runMigrations(dataSource);
    const second = await runMigrations(dataSource);

    expect(first.map((m) => m.name)).toEqual(['registryCreateWidgets1700000000000']);
    expect(second).toEqual([]);
    const tables: { table_name: string }[] = await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'registry' ORDER BY table_name`,
    );
    expect(tables.map((t) => t.table_name)).toEqual(['migrations', 'processed_events', 'widgets']);
  });

  it('serializes replicas that migrate at the same time', async () => {
    const other = await createTestDatabase();
    const sources = await Promise.all(
      [1, 2, 3].map(() =>
        new DataSource(
          createDataSourceOptions({
            url: other.url,
            schema: 'audit',
            ...serviceSchemaFixture('audit'),
          }),
        ).initialize(),
      ),
    );
    try {
      const applied = await Promise.all(sources.map((source) => runMigrations(source)));

      expect(applied.map((migrations) => migrations.length).sort()).toEqual([0, 0, 1]);
    } finally {
      await Promise.all(sources.map((source) => source.destroy()));
      await other.drop();
    }
  });
});

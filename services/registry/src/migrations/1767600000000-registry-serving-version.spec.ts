import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@convergio/testing';
import { registryPersistence } from '../index.js';
import { RegistryServingVersion1767600000000 } from './1767600000000-registry-serving-version.js';

describe('migration RegistryServingVersion1767600000000', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('mig_serving');
    ds = new DataSource({
      type: 'postgres',
      url: db.url,
      migrations: registryPersistence.migrations.filter(
        (m) => m !== RegistryServingVersion1767600000000,
      ),
    });
    await ds.initialize();
    await ds.runMigrations();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('fills each plugin with the highest approved release of its versions', async () => {
    const insert = async (id: string, version: string, status: string) => {
      await ds.query(
        `INSERT INTO registry.plugins (plugin_id, owner) VALUES ($1, 'acme') ON CONFLICT DO NOTHING`,
        [id],
      );
      await ds.query(
        `INSERT INTO registry.plugin_versions
           (plugin_id, version, name, status, manifest, module_sha256, module_size, submitted_by)
         VALUES ($1, $2, $1, $3, '{}', 'x', 1, 'k')`,
        [id, version, status],
      );
    };
    await insert('a.one', '1.10.0', 'approved');
    await insert('a.one', '1.9.0', 'approved');
    await insert('a.one', '2.0.0-rc.1', 'approved');
    await insert('a.one', '3.0.0', 'revoked');
    await insert('b.none', '1.0.0', 'rejected');

    const runner = ds.createQueryRunner();
    await new RegistryServingVersion1767600000000().up(runner);
    await runner.release();

    expect(
      await ds.query(`SELECT plugin_id, serving_version FROM registry.plugins ORDER BY plugin_id`),
    ).toEqual([
      { plugin_id: 'a.one', serving_version: '1.10.0' },
      { plugin_id: 'b.none', serving_version: null },
    ]);
  });
});

import { DataSource } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@convergio/testing';
import { RegistryInit1764300000000 } from './1764300000000-registry-init.js';
import { RegistryLoadedOn1764400000000 } from './1764400000000-registry-loaded-on.js';
import { RegistryPlugins1764500000000 } from './1764500000000-registry-plugins.js';

describe('migration RegistryPlugins1764500000000', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase('mig');
    ds = new DataSource({
      type: 'postgres',
      url: db.url,
      migrations: [RegistryInit1764300000000, RegistryLoadedOn1764400000000],
    });
    await ds.initialize();
    await ds.runMigrations();
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('gives existing ids to the key of their oldest version, and marks approved and revoked versions as once approved', async () => {
    const insert = (id: string, version: string, status: string, by: string, at: string) =>
      ds.query(
        `INSERT INTO registry.plugin_versions
           (plugin_id, version, name, status, manifest, module_sha256, module_size, submitted_by, submitted_at)
         VALUES ($1, $2, $1, $3, '{}', 'x', 1, $4, $5)`,
        [id, version, status, by, at],
      );
    await insert('old.one', '1.1.0', 'approved', 'k-second', '2025-02-01T00:00:00Z');
    await insert('old.one', '1.0.0', 'revoked', 'k-first', '2025-01-01T00:00:00Z');
    await insert('old.one', '1.2.0', 'rejected', 'k-second', '2025-03-01T00:00:00Z');

    const runner = ds.createQueryRunner();
    await new RegistryPlugins1764500000000().up(runner);
    await runner.release();

    expect(await ds.query(`SELECT plugin_id, owner FROM registry.plugins`)).toEqual([
      { plugin_id: 'old.one', owner: 'key:k-first' },
    ]);
    const versions: { version: string; approved: boolean }[] = await ds.query(
      `SELECT version, approved_at IS NOT NULL AS approved FROM registry.plugin_versions ORDER BY version`,
    );
    expect(versions).toEqual([
      { version: '1.0.0', approved: true },
      { version: '1.1.0', approved: true },
      { version: '1.2.0', approved: false },
    ]);
  });
});

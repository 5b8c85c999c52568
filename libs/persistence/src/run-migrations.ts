import { MigrationExecutor, type DataSource, type Migration } from 'typeorm';
import { quoteSchemaName } from './schema-name.js';

/**
 * Creates the DataSource's schema if needed and applies pending migrations in one transaction.
 * Replicas booting together serialize on an advisory lock, so a migration never runs twice.
 */
export async function runMigrations(dataSource: DataSource): Promise<Migration[]> {
  const schema = quoteSchemaName(dataSource.driver.schema ?? 'public');
  // One query runner for everything: with a pool of one (embedded mode) a second would wait forever.
  const queryRunner = dataSource.createQueryRunner();
  try {
    await queryRunner.query('SELECT pg_advisory_lock(hashtext($1))', [schema]);
    try {
      await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      const executor = new MigrationExecutor(dataSource, queryRunner);
      executor.transaction = 'all';
      return await executor.executePendingMigrations();
    } finally {
      await queryRunner.query('SELECT pg_advisory_unlock(hashtext($1))', [schema]);
    }
  } finally {
    await queryRunner.release();
  }
}

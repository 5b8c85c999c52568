import type { DataSource } from 'typeorm';
import { MIGRATIONS_TABLE } from './data-source-options.js';
import { quoteSchemaName } from './schema-name.js';

/**
 * Checks, without changing anything, that every migration of the DataSource is applied: for a
 * service whose login may not alter its schema (the audit service's), which the schema's owner
 * migrates in a deploy step before it starts.
 * @throws Error naming the pending migrations and the step, or saying the schema is missing or
 *   unreadable to this login
 */
export async function assertMigrated(dataSource: DataSource, step: string): Promise<void> {
  const schema = dataSource.driver.schema ?? 'public';
  const table = `${quoteSchemaName(schema)}.${MIGRATIONS_TABLE}`;
  const applied = await dataSource
    .query(`SELECT name FROM ${table}`)
    .then((rows: { name: string }[]) => new Set(rows.map((r) => r.name)))
    .catch((error: unknown) => {
      throw new Error(
        `the schema ${schema} is not migrated, or this login may not read ${table} (${String(error)}): ${step}`,
      );
    });
  const pending = dataSource.migrations.map((m) => m.name ?? '').filter((n) => !applied.has(n));
  if (pending.length > 0)
    throw new Error(`the schema ${schema} lacks the migrations ${pending.join(', ')}: ${step}`);
}

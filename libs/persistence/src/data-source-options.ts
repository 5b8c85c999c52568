import type { DataSourceOptions, EntitySchema, MigrationInterface } from 'typeorm';
import { quoteSchemaName } from './schema-name.js';

/** An entity class or schema a DataSource maps. */
export type EntityDefinition = EntitySchema | (abstract new (...args: never[]) => unknown);

/** A migration class a DataSource runs. */
export type MigrationDefinition = new () => MigrationInterface;

/** What a service (or the standalone process, for all services at once) needs to reach its tables. */
export interface PersistenceOptions {
  /** postgres:// URL of the server (PostgreSQL, or the embedded PGlite socket). */
  url: string;
  /** Default schema; it also holds the `migrations` bookkeeping table. */
  schema: string;
  entities: readonly EntityDefinition[];
  migrations: readonly MigrationDefinition[];
  /** Connections in the pool; 1 for the embedded server, which serves one connection at a time. */
  poolSize?: number;
}

/** Name of the table, inside `PersistenceOptions.schema`, that records applied migrations. */
export const MIGRATIONS_TABLE = 'migrations';

/** TypeORM options for PostgreSQL: never synchronizes, migrations run explicitly with `runMigrations`. */
export function createDataSourceOptions(options: PersistenceOptions): DataSourceOptions {
  quoteSchemaName(options.schema);
  return {
    type: 'postgres',
    url: options.url,
    schema: options.schema,
    entities: [...options.entities],
    migrations: [...options.migrations],
    // TypeORM qualifies this name with `schema`, so each service keeps its own migration history.
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'all',
    migrationsRun: false,
    synchronize: false,
    poolSize: options.poolSize,
  };
}

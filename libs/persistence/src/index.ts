export {
  createDataSourceOptions,
  MIGRATIONS_TABLE,
  type EntityDefinition,
  type MigrationDefinition,
  type PersistenceOptions,
} from './data-source-options.js';
export { isDatabaseReady } from './database-readiness.js';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded-postgres.js';
export { assertDataDirFree, DataDirInUseError } from './data-dir-lock.js';
export { handleOnce, type HandleOnceResult } from './handle-once.js';
export {
  PersistenceModule,
  type PersistenceModuleAsyncOptions,
  type PersistenceModuleOptions,
} from './persistence.module.js';
export {
  processedEventEntity,
  PROCESSED_EVENTS_TABLE,
  type ProcessedEvent,
  type ProcessedEventEntity,
} from './processed-event.entity.js';
export {
  createProcessedEventsTableSql,
  dropProcessedEventsTableSql,
} from './processed-events.sql.js';
export { assertMigrated } from './pending-migrations.js';
export { runMigrations } from './run-migrations.js';
export {
  addOutboxDeliveryColumnsSql,
  createOutboxTableSql,
  dropOutboxDeliveryColumnsSql,
  dropOutboxTableSql,
  OUTBOX_TABLE,
} from './outbox.sql.js';
export { quoteSchemaName } from './schema-name.js';

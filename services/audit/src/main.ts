import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { AuditConfig } from './config/audit.config.js';
import { AUDIT_MIGRATION_STEP } from './audit.schema.js';
import { auditPersistence, AuditModule } from './index.js';

await runService('audit', AuditConfig, (env) => ({
  feature: AuditModule.register({
    maxBatch: env.AUDIT_INGEST_BATCH,
    allowOwnerLogin: env.AUDIT_ALLOW_OWNER_LOGIN,
  }),
  // Its login may not alter the schema (AuditLoginCheck): the owner migrates it beforehand.
  persistence: env.AUDIT_ALLOW_OWNER_LOGIN
    ? auditPersistence
    : { ...auditPersistence, migrationStep: AUDIT_MIGRATION_STEP },
  // Two batches in hand: one fills while the one before commits.
  eventBatch: 2 * env.AUDIT_INGEST_BATCH,
}));

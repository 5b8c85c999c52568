import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { AuditConfig } from './config/audit.config.js';
import { auditPersistence, AuditModule } from './index.js';

await runService('audit', AuditConfig, (env) => ({
  feature: AuditModule.register({
    maxBatch: env.AUDIT_INGEST_BATCH,
    allowOwnerLogin: env.AUDIT_ALLOW_OWNER_LOGIN,
  }),
  persistence: auditPersistence,
  // Two batches in hand: one fills while the one before commits.
  eventBatch: 2 * env.AUDIT_INGEST_BATCH,
}));

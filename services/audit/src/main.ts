import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { AuditConfig } from './config/audit.config.js';
import { auditPersistence, AuditModule } from './index.js';

await runService('audit', AuditConfig, (env) => ({
  feature: AuditModule.register({ maxBatch: env.AUDIT_INGEST_BATCH }),
  persistence: auditPersistence,
  // As many events in hand as one transaction appends, so batches fill.
  eventBatch: env.AUDIT_INGEST_BATCH,
}));

import { AuditRecord } from './events/audit-record.entity.js';
import { AuditInit1764300000000 } from './migrations/1764300000000-audit-init.js';
import { AuditChain1765300000000 } from './migrations/1765300000000-audit-chain.js';
import { AuditMigrationsReadable1766700000000 } from './migrations/1766700000000-audit-migrations-readable.js';
import { AUDIT_SCHEMA } from './audit.schema.js';

export { AuditModule } from './audit.module.js';
/** Tables and migrations of the audit service. Idempotency comes from the unique event id. */
export const auditPersistence = {
  schema: AUDIT_SCHEMA,
  entities: [AuditRecord],
  migrations: [
    AuditInit1764300000000,
    AuditChain1765300000000,
    AuditMigrationsReadable1766700000000,
  ],
};

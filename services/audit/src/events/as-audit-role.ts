import type { DataSource, EntityManager } from 'typeorm';
import { AUDIT_WRITER_ROLE } from '../audit.schema.js';

/**
 * Runs `work` in a transaction as the audit role, which may read and append to the log but
 * never update, delete or truncate it. `SET LOCAL` ends with the transaction, so a connection
 * shared with other services (standalone mode's single one) goes back to its own role.
 */
export function asAuditRole<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    await manager.query(`SET LOCAL ROLE ${AUDIT_WRITER_ROLE}`);
    return work(manager);
  });
}

import type { DataSource, EntityManager } from 'typeorm';
import { AUDIT_CHAIN_LOCK, AUDIT_WRITER_ROLE } from '../audit.schema.js';

/**
 * Runs `work` in a transaction as the audit role, which may read and append to the log but
 * never update, delete or truncate it. `SET LOCAL` ends with the transaction, so a connection
 * shared with other services (standalone mode's single one) goes back to its own role. With
 * `appending`, the transaction first takes the chain's advisory lock (in the same round trip),
 * which serializes appends across every replica until it commits.
 */
export function asAuditRole<T>(
  dataSource: DataSource,
  work: (manager: EntityManager) => Promise<T>,
  { appending = false }: { appending?: boolean } = {},
): Promise<T> {
  return dataSource.transaction(async (manager) => {
    const role = `SET LOCAL ROLE ${AUDIT_WRITER_ROLE}`;
    await manager.query(
      appending ? `${role}; SELECT pg_advisory_xact_lock(${AUDIT_CHAIN_LOCK})` : role,
    );
    return work(manager);
  });
}

/** The PostgreSQL schema the audit service owns. */
export const AUDIT_SCHEMA = 'audit';
export const AUDIT_SERVICE = 'audit';
/**
 * The role the audit service's work runs as (`SET LOCAL ROLE` in each of its transactions): it
 * may read and append to the log, never change it. Roles belong to the whole PostgreSQL server,
 * so every database of a server shares it; its rights are granted per table.
 */
export const AUDIT_WRITER_ROLE = 'convergio_audit_writer';
/**
 * Key of the transaction-level advisory lock that serializes appends to the chain across audit
 * replicas (a constant: the key space is per database).
 */
export const AUDIT_CHAIN_LOCK = 7_300_113;
/**
 * The deploy step that migrates the audit schema, as its owner, before the service starts: the
 * service's own login may not (deploy/postgres/logins.sql).
 */
export const AUDIT_MIGRATION_STEP =
  'run "node services/audit/dist/migrate.js" with DATABASE_URL naming the owner of the audit schema (convergio_audit_owner) first';

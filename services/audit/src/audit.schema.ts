/** The PostgreSQL schema the audit service owns. */
export const AUDIT_SCHEMA = 'audit';
export const AUDIT_SERVICE = 'audit';

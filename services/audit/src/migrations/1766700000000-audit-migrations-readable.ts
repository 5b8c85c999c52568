import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_SCHEMA, AUDIT_WRITER_ROLE } from '../audit.schema.js';

/**
 * Lets the audit role read which migrations are applied: the service's login checks at boot that
 * the owner's migration step ran (it may not migrate itself). Standalone mode keeps that
 * history in another schema, and migrates at boot.
 */
export class AuditMigrationsReadable1766700000000 implements MigrationInterface {
  name = 'AuditMigrationsReadable1766700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DO $$ BEGIN
      IF to_regclass('${AUDIT_SCHEMA}.migrations') IS NOT NULL THEN
        GRANT SELECT ON ${AUDIT_SCHEMA}.migrations TO ${AUDIT_WRITER_ROLE};
      END IF;
    END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DO $$ BEGIN
      IF to_regclass('${AUDIT_SCHEMA}.migrations') IS NOT NULL THEN
        REVOKE SELECT ON ${AUDIT_SCHEMA}.migrations FROM ${AUDIT_WRITER_ROLE};
      END IF;
    END $$`);
  }
}

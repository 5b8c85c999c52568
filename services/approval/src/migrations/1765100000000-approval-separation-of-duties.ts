import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/**
 * Who submitted each reviewed version (nobody approves their own), what verification found, and
 * the admin approvals recorded so far (proc.exec and trust above untrusted need two).
 */
export class ApprovalSeparationOfDuties1765100000000 implements MigrationInterface {
  name = 'ApprovalSeparationOfDuties1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals
      ADD COLUMN submitted_by text,
      ADD COLUMN publisher text,
      ADD COLUMN findings jsonb NOT NULL DEFAULT '[]',
      ADD COLUMN approvals jsonb NOT NULL DEFAULT '[]'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals
      DROP COLUMN approvals, DROP COLUMN findings, DROP COLUMN publisher, DROP COLUMN submitted_by`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/** Who signed each reviewed version: the trust an admin may designate depends on it. */
export class ApprovalSignedBy1764900000000 implements MigrationInterface {
  name = 'ApprovalSignedBy1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals ADD COLUMN signed_by jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals DROP COLUMN signed_by`);
  }
}

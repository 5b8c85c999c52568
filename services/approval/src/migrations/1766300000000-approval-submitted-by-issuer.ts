import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/**
 * Who issued the secret that submitted each reviewed version: they held it, so they may not
 * approve it either. Reviews from before it was kept get null (unknown).
 */
export class ApprovalSubmittedByIssuer1766300000000 implements MigrationInterface {
  name = 'ApprovalSubmittedByIssuer1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals ADD COLUMN submitted_by_issuer text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals DROP COLUMN submitted_by_issuer`);
  }
}

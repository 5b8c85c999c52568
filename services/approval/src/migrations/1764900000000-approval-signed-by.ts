import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/**
 * Who signed each reviewed version (the trust an admin may designate depends on it), and the
 * signer each plugin id's next versions need (key continuity).
 */
export class ApprovalSignedBy1764900000000 implements MigrationInterface {
  name = 'ApprovalSignedBy1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals ADD COLUMN signed_by jsonb`);
    await q.query(`CREATE TABLE ${APPROVAL_SCHEMA}.accepted_signers (
      plugin_id text NOT NULL,
      signer_id text,
      set_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT accepted_signers_pkey PRIMARY KEY (plugin_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${APPROVAL_SCHEMA}.accepted_signers`);
    await q.query(`ALTER TABLE ${APPROVAL_SCHEMA}.approvals DROP COLUMN signed_by`);
  }
}

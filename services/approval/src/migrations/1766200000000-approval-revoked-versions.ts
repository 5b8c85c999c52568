import type { MigrationInterface, QueryRunner } from 'typeorm';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/**
 * Every revocation heard, even of a version whose review does not exist yet (revoked while it
 * was being verified), so that its plugin.verified arriving later never approves it.
 */
export class ApprovalRevokedVersions1766200000000 implements MigrationInterface {
  name = 'ApprovalRevokedVersions1766200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ${APPROVAL_SCHEMA}.revoked_versions (
      plugin_id text NOT NULL,
      version text NOT NULL,
      revoked_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT revoked_versions_pkey PRIMARY KEY (plugin_id, version))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${APPROVAL_SCHEMA}.revoked_versions`);
  }
}

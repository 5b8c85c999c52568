import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createProcessedEventsTableSql } from '@convergio/persistence';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

export class ApprovalInit1764300000000 implements MigrationInterface {
  name = 'ApprovalInit1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${APPROVAL_SCHEMA}`);
    await q.query(`CREATE TABLE ${APPROVAL_SCHEMA}.approvals (
      plugin_id text NOT NULL,
      version text NOT NULL,
      status text NOT NULL,
      trust text NOT NULL,
      manifest jsonb NOT NULL,
      module_sha256 text NOT NULL,
      high_risk jsonb NOT NULL,
      permission_diff jsonb NOT NULL,
      previous_approved_version text,
      requested_at timestamptz NOT NULL,
      decided_at timestamptz,
      decided_by text,
      note text,
      CONSTRAINT approvals_pkey PRIMARY KEY (plugin_id, version))`);
    await q.query(
      `CREATE INDEX approvals_status_idx ON ${APPROVAL_SCHEMA}.approvals (status, requested_at)`,
    );
    await q.query(createProcessedEventsTableSql(APPROVAL_SCHEMA));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${APPROVAL_SCHEMA} CASCADE`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createProcessedEventsTableSql } from '@convergio/persistence';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

export class VerificationInit1764300000000 implements MigrationInterface {
  name = 'VerificationInit1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${VERIFICATION_SCHEMA}`);
    await q.query(`CREATE TABLE ${VERIFICATION_SCHEMA}.verifications (
      plugin_id text NOT NULL,
      version text NOT NULL,
      outcome text NOT NULL,
      module_sha256 text NOT NULL,
      findings jsonb NOT NULL,
      checked_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT verifications_pkey PRIMARY KEY (plugin_id, version))`);
    await q.query(createProcessedEventsTableSql(VERIFICATION_SCHEMA));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${VERIFICATION_SCHEMA} CASCADE`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createProcessedEventsTableSql } from '@convergio/persistence';
import { EXECUTOR_SCHEMA } from '../executor.schema.js';

export class ExecutorInit1764300000000 implements MigrationInterface {
  name = 'ExecutorInit1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${EXECUTOR_SCHEMA}`);
    await q.query(`CREATE TABLE ${EXECUTOR_SCHEMA}.deployments (
      plugin_id text NOT NULL,
      version text NOT NULL,
      status text NOT NULL,
      manifest jsonb,
      module_sha256 text NOT NULL,
      trust text,
      approved_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT deployments_pkey PRIMARY KEY (plugin_id, version))`);
    await q.query(
      `CREATE INDEX deployments_status_idx ON ${EXECUTOR_SCHEMA}.deployments (plugin_id, status, approved_at)`,
    );
    await q.query(createProcessedEventsTableSql(EXECUTOR_SCHEMA));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${EXECUTOR_SCHEMA} CASCADE`);
  }
}

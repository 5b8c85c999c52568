import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createProcessedEventsTableSql } from '@convergio/persistence';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

export class RegistryInit1764300000000 implements MigrationInterface {
  name = 'RegistryInit1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${REGISTRY_SCHEMA}`);
    await q.query(`CREATE TABLE ${REGISTRY_SCHEMA}.plugin_versions (
      plugin_id text NOT NULL,
      version text NOT NULL,
      name text NOT NULL,
      status text NOT NULL,
      trust text,
      manifest jsonb NOT NULL,
      module_sha256 text NOT NULL,
      module_size integer NOT NULL,
      findings jsonb NOT NULL DEFAULT '[]',
      loaded boolean NOT NULL DEFAULT false,
      submitted_by text NOT NULL,
      submitted_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT plugin_versions_pkey PRIMARY KEY (plugin_id, version))`);
    await q.query(
      `CREATE INDEX plugin_versions_status_idx ON ${REGISTRY_SCHEMA}.plugin_versions (status)`,
    );
    await q.query(createProcessedEventsTableSql(REGISTRY_SCHEMA));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${REGISTRY_SCHEMA} CASCADE`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AUDIT_SCHEMA } from '../audit.schema.js';

export class AuditInit1764300000000 implements MigrationInterface {
  name = 'AuditInit1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${AUDIT_SCHEMA}`);
    await q.query(`CREATE TABLE ${AUDIT_SCHEMA}.events (
      seq bigserial NOT NULL,
      event_id uuid NOT NULL,
      type text NOT NULL,
      source text NOT NULL,
      plugin_id text,
      version text,
      correlation_id text NOT NULL,
      occurred_at timestamptz NOT NULL,
      recorded_at timestamptz NOT NULL DEFAULT now(),
      data jsonb NOT NULL,
      CONSTRAINT events_pkey PRIMARY KEY (seq))`);
    await q.query(`CREATE UNIQUE INDEX events_event_id_key ON ${AUDIT_SCHEMA}.events (event_id)`);
    await q.query(
      `CREATE INDEX events_plugin_idx ON ${AUDIT_SCHEMA}.events (plugin_id, version, seq)`,
    );
    await q.query(`CREATE INDEX events_type_idx ON ${AUDIT_SCHEMA}.events (type, seq)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${AUDIT_SCHEMA} CASCADE`);
  }
}

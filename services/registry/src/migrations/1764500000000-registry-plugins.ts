import type { MigrationInterface, QueryRunner } from 'typeorm';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/**
 * Plugin ids get an owner (`registry.plugins`), and versions remember whether they were ever
 * approved (`approved_at`). Ids submitted before owners existed go to `key:<submitted_by of
 * their oldest version>`, a name no publisher can have: only an admin transfer gives such an
 * id to a publisher (docs/adr/0004-plugin-ownership.md).
 */
export class RegistryPlugins1764500000000 implements MigrationInterface {
  name = 'RegistryPlugins1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ${REGISTRY_SCHEMA}.plugins (
      plugin_id text NOT NULL,
      owner text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT plugins_pkey PRIMARY KEY (plugin_id))`);
    await q.query(`INSERT INTO ${REGISTRY_SCHEMA}.plugins (plugin_id, owner, created_at)
      SELECT DISTINCT ON (plugin_id) plugin_id, 'key:' || submitted_by, submitted_at
      FROM ${REGISTRY_SCHEMA}.plugin_versions
      ORDER BY plugin_id, submitted_at ASC`);
    await q.query(
      `ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions ADD COLUMN approved_at timestamptz`,
    );
    // Whether a revoked version had been approved was not kept: count it as approved, so the
    // rule "never below an approved version" errs on the side of refusing a rollback.
    await q.query(`UPDATE ${REGISTRY_SCHEMA}.plugin_versions SET approved_at = updated_at
      WHERE status IN ('approved', 'revoked')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions DROP COLUMN approved_at`);
    await q.query(`DROP TABLE ${REGISTRY_SCHEMA}.plugins`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** The operator policy rules an approved version breaks, as the executor announced them. */
export class RegistryPolicyViolations1764600000000 implements MigrationInterface {
  name = 'RegistryPolicyViolations1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions ADD COLUMN policy_violations jsonb NOT NULL DEFAULT '[]'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions DROP COLUMN policy_violations`);
  }
}

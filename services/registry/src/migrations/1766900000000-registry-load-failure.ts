import type { MigrationInterface, QueryRunner } from 'typeorm';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** Why an executor last failed to load a version (plugin.crashed of a load), until one loads it. */
export class RegistryLoadFailure1766900000000 implements MigrationInterface {
  name = 'RegistryLoadFailure1766900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions ADD COLUMN load_failure jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions DROP COLUMN load_failure`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** The SBOM a version was submitted with, in the artifact store by its hash. */
export class RegistrySbom1764700000000 implements MigrationInterface {
  name = 'RegistrySbom1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions ADD COLUMN sbom_sha256 text, ADD COLUMN sbom_size integer`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions DROP COLUMN sbom_sha256, DROP COLUMN sbom_size`,
    );
  }
}

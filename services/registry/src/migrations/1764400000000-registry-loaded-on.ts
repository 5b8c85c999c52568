import type { MigrationInterface, QueryRunner } from 'typeorm';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** `loaded` becomes the set of executor instances running the version: replicas load and unload independently. */
export class RegistryLoadedOn1764400000000 implements MigrationInterface {
  name = 'RegistryLoadedOn1764400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions ADD COLUMN loaded_on text[] NOT NULL DEFAULT '{}'`,
    );
    // Which instance loaded it was not kept; the next plugin.unloaded of each replica clears it.
    await q.query(
      `UPDATE ${REGISTRY_SCHEMA}.plugin_versions SET loaded_on = '{unknown}' WHERE loaded`,
    );
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions DROP COLUMN loaded`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions ADD COLUMN loaded boolean NOT NULL DEFAULT false`,
    );
    await q.query(
      `UPDATE ${REGISTRY_SCHEMA}.plugin_versions SET loaded = cardinality(loaded_on) > 0`,
    );
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugin_versions DROP COLUMN loaded_on`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { servingVersion } from '@convergio/manifest';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/**
 * The version each plugin serves by default, kept on its row (refreshServingVersion) so lists
 * read one row per plugin instead of every version; filled here from the approved versions.
 */
export class RegistryServingVersion1767600000000 implements MigrationInterface {
  name = 'RegistryServingVersion1767600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugins ADD COLUMN serving_version text`);
    const approved = (await q.query(
      `SELECT plugin_id, version, status FROM ${REGISTRY_SCHEMA}.plugin_versions WHERE status = 'approved'`,
    )) as { plugin_id: string; version: string; status: string }[];
    const byPlugin = new Map<string, typeof approved>();
    for (const v of approved) byPlugin.set(v.plugin_id, [...(byPlugin.get(v.plugin_id) ?? []), v]);
    for (const [pluginId, versions] of byPlugin)
      await q.query(
        `UPDATE ${REGISTRY_SCHEMA}.plugins SET serving_version = $2 WHERE plugin_id = $1`,
        [pluginId, servingVersion(versions)],
      );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${REGISTRY_SCHEMA}.plugins DROP COLUMN serving_version`);
  }
}

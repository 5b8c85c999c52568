import type { EntityManager } from 'typeorm';
import { APPROVAL_SCHEMA as S } from '../approval.schema.js';

/**
 * Records that `pluginId@version` was revoked (plugin.revoked). Kept even when no review of it
 * exists yet: events of different subjects may arrive in any order.
 */
export async function recordRevocation(
  manager: EntityManager,
  pluginId: string,
  version: string,
): Promise<void> {
  await manager.query(
    `INSERT INTO ${S}.revoked_versions (plugin_id, version) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    [pluginId, version],
  );
}

/** True when a revocation of `pluginId@version` was recorded. */
export async function wasRevoked(
  manager: EntityManager,
  pluginId: string,
  version: string,
): Promise<boolean> {
  const rows: unknown[] = await manager.query(
    `SELECT 1 FROM ${S}.revoked_versions WHERE plugin_id = $1 AND version = $2`,
    [pluginId, version],
  );
  return rows.length > 0;
}

import type { EntityManager } from 'typeorm';
import { servingVersion } from '@convergio/manifest';
import { Plugin } from './plugin.entity.js';
import { PluginVersion } from './plugin-version.entity.js';

/**
 * Sets `plugins.serving_version` of `pluginId` from its approved versions; call it in the
 * transaction that changed one of its versions' status. It locks the plugin's row first, so two
 * transactions approving two versions at once cannot each miss the other's and leave the lower
 * version served.
 */
export async function refreshServingVersion(
  manager: EntityManager,
  pluginId: string,
): Promise<void> {
  await manager
    .createQueryBuilder(Plugin, 'p')
    .setLock('pessimistic_write')
    .where('p.plugin_id = :pluginId', { pluginId })
    .getOne();
  const approved = await manager.find(PluginVersion, {
    select: { version: true, status: true },
    where: { pluginId, status: 'approved' },
  });
  await manager.update(Plugin, { pluginId }, { servingVersion: servingVersion(approved) });
}

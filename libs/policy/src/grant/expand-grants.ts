import type { Permissions } from '@convergio/contracts';
import { expandPluginDir } from '../fs/plugin-dir.js';

/**
 * A manifest's permissions with `$PLUGIN_DIR` expanded in the fs.read and fs.write paths
 * (see expandPluginDir), for the host functions to enforce; everything else as it was.
 * Returns a new object, never mutates `permissions`; paths are not validated here
 * (checkGrants does that, host calls check again).
 */
export function expandPluginDirInGrants(permissions: Permissions, pluginDir: string): Permissions {
  const expanded: Permissions = { ...permissions };
  for (const name of ['fs.read', 'fs.write'] as const) {
    const grant = permissions[name];
    if (grant) expanded[name] = { paths: grant.paths.map((p) => expandPluginDir(p, pluginDir)) };
  }
  return expanded;
}

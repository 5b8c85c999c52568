import { PERMISSION_NAMES, type Manifest, type PermissionName } from '@convergio/contracts';
import type { GrantPolicy } from './grant-policy.js';
import type { GrantContext } from './grant-context.js';
import { FS_PERMISSIONS, insidePlaces, ownDirs, resolveGrantPath } from './fs-grant-places.js';

/** A grant that waits for an admin because of the policy, and why. */
export interface AdminRequirement {
  permission: PermissionName;
  reason: string;
}

/**
 * Grants of a manifest that need an admin because of the policy, one entry per permission
 * (reasons joined), in catalog order: those in `permissions.admin_required`, and, when
 * `filesystem.admin_required_outside_plugin_dir`, fs.read / fs.write naming any path
 * outside the plugin's own directory (declared or resolved; an unparsable path counts as
 * outside). The high-risk permissions need an admin anyway: this does not repeat them
 * unless the policy lists them.
 */
export function adminRequired(
  manifest: Manifest,
  policy: GrantPolicy,
  ctx: GrantContext,
): AdminRequirement[] {
  const reasons = new Map<PermissionName, string[]>();
  const add = (permission: PermissionName, reason: string) =>
    reasons.set(permission, [...(reasons.get(permission) ?? []), reason]);
  for (const name of policy.permissions.admin_required) {
    if (manifest.permissions[name] !== undefined) {
      add(name, `the operator requires an admin for ${name} (permissions.admin_required)`);
    }
  }
  if (policy.filesystem.admin_required_outside_plugin_dir) {
    const own = ownDirs(ctx);
    for (const permission of FS_PERMISSIONS) {
      const outside = (manifest.permissions[permission]?.paths ?? []).filter((raw) => {
        const path = resolveGrantPath(raw, ctx);
        return !path.ok || !insidePlaces(path, own);
      });
      if (outside.length > 0) {
        add(
          permission,
          `${permission} names ${outside.join(', ')}, outside the plugin's own directory (filesystem.admin_required_outside_plugin_dir)`,
        );
      }
    }
  }
  return PERMISSION_NAMES.filter((p) => reasons.has(p)).map((permission) => ({
    permission,
    reason: (reasons.get(permission) ?? []).join('; '),
  }));
}

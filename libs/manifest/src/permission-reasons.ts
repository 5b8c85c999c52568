import type { Finding, Manifest, PermissionName } from '@convergio/contracts';

/**
 * A manifest states a reason only for a permission it asks for: `reason_without_permission` for
 * each reason naming another, so that the reviewing admin never reads a justification for a
 * grant that is not there.
 */
export function checkPermissionReasons(manifest: Manifest): Finding[] {
  return Object.keys(manifest.permission_reasons ?? {})
    .filter((name) => manifest.permissions[name as PermissionName] === undefined)
    .map((name) => ({
      code: 'reason_without_permission',
      message: `permission_reasons names ${name}, which the manifest does not ask for`,
      path: `/permission_reasons/${name}`,
    }));
}

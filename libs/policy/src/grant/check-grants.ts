import { PERMISSION_NAMES, type Manifest } from '@convergio/contracts';
import { LIMIT_NAMES, type GrantPolicy } from './grant-policy.js';
import { pointer, violation, type GrantContext, type GrantFinding } from './grant-context.js';
import { checkFsGrants } from './check-fs-grants.js';
import { checkNetGrants } from './check-net-grants.js';

/**
 * Every way a manifest breaks the operator's grant policy (empty: it fits). Verification
 * and executor load both call this. Rules: `permissions.denied`; `filesystem.roots` and
 * `protected_paths` (see checkFsGrants); `network.denied_hosts`,
 * `network.denied_host_suffixes`, `network.denied_cidrs` (see checkNetGrants);
 * `limits.max.<name>` for a limit the manifest asks above the cap (a limit the manifest
 * leaves out is not a finding: the executor caps its own defaults). Pure apart from
 * `ctx.realPath`; does not throw unless that does.
 */
export function checkGrants(
  manifest: Manifest,
  policy: GrantPolicy,
  ctx: GrantContext,
): GrantFinding[] {
  return [
    ...checkDeniedPermissions(manifest, policy),
    ...checkFsGrants(manifest, policy, ctx),
    ...checkNetGrants(manifest, policy),
    ...checkLimits(manifest, policy),
  ];
}

function checkDeniedPermissions(manifest: Manifest, policy: GrantPolicy): GrantFinding[] {
  return PERMISSION_NAMES.filter(
    (name) => manifest.permissions[name] !== undefined && policy.permissions.denied.includes(name),
  ).map((name) =>
    violation(
      'permissions.denied',
      pointer('permissions', name),
      name,
      `permission ${name} is denied by the operator: remove it from the manifest`,
    ),
  );
}

function checkLimits(manifest: Manifest, policy: GrantPolicy): GrantFinding[] {
  return LIMIT_NAMES.flatMap((name) => {
    const asked = manifest.limits?.[name];
    const max = policy.limits.max[name];
    if (asked === undefined || max === undefined || asked <= max) return [];
    return [
      violation(
        `limits.max.${name}`,
        pointer('limits', name),
        String(asked),
        `limit ${name} ${asked} is above the operator's maximum ${max}: ask for ${max} or less`,
      ),
    ];
  });
}

import type { Manifest } from '@convergio/contracts';
import { protectedPathRefusal, type PathProtection } from '../fs/path-protection.js';
import { FORBIDDEN_ROOTS } from '../fs/plugin-path.js';
import type { GrantPolicy } from './grant-policy.js';
import { pointer, violation, type GrantContext, type GrantFinding } from './grant-context.js';
import {
  allowedPlaces,
  FS_PERMISSIONS,
  insidePlaces,
  resolveGrantPath,
  type FsPermission,
} from './fs-grant-places.js';

/**
 * The fs.read and fs.write paths of a manifest against the policy. Each path is expanded
 * (`$PLUGIN_DIR`), parsed, resolved; an unparsable path is a `filesystem.roots` finding.
 * Both the declared and the real path must lie inside the plugin's own directory or a
 * policy root allowing the operation (`filesystem.roots`), and neither may be protected
 * (`protected_paths`), even when a root such as `/` covers it.
 */
export function checkFsGrants(
  manifest: Manifest,
  policy: GrantPolicy,
  ctx: GrantContext,
): GrantFinding[] {
  const protection = withPolicyProtection(policy, ctx);
  return FS_PERMISSIONS.flatMap((permission) =>
    (manifest.permissions[permission]?.paths ?? []).flatMap((raw, i) =>
      checkPath(
        permission,
        raw,
        pointer('permissions', permission, 'paths', i),
        policy,
        ctx,
        protection,
      ),
    ),
  );
}

function checkPath(
  permission: FsPermission,
  raw: string,
  at: string,
  policy: GrantPolicy,
  ctx: GrantContext,
  protection: PathProtection,
): GrantFinding[] {
  const path = resolveGrantPath(raw, ctx);
  if (!path.ok) {
    return [
      violation(
        'filesystem.roots',
        at,
        raw,
        `${permission} path is invalid (${path.error}): write an absolute path, or $PLUGIN_DIR/<sub-path>`,
      ),
    ];
  }
  const findings: GrantFinding[] = [];
  if (!insidePlaces(path, allowedPlaces(permission, policy, ctx))) {
    const shown =
      path.real === path.declared ? path.declared : `${path.declared} (resolves to ${path.real})`;
    const roots = permission === 'fs.write' ? 'read-write roots' : 'roots';
    findings.push(
      violation(
        'filesystem.roots',
        at,
        raw,
        `${permission} path ${shown} is outside the plugin's own directory and the operator's ${roots}: use a path under $PLUGIN_DIR, or ask the operator to add one to filesystem.roots`,
      ),
    );
  }
  const refusal =
    protectedPathRefusal(path.declared, protection) ?? protectedPathRefusal(path.real, protection);
  if (refusal) {
    findings.push(
      violation(
        'protected_paths',
        at,
        raw,
        `${permission} path ${path.declared}: ${refusal}; remove it from the manifest`,
      ),
    );
  }
  return findings;
}

/** The context's protection plus the policy's protected_paths (as written and resolved) and FORBIDDEN_ROOTS. */
function withPolicyProtection(policy: GrantPolicy, ctx: GrantContext): PathProtection {
  const extra = policy.protected_paths.flatMap((p) => [p, ctx.realPath(p)]);
  return {
    roots: [...new Set([...FORBIDDEN_ROOTS, ...ctx.protection.roots, ...extra])],
    ownDir: ctx.protection.ownDir,
  };
}

import { expandPluginDir } from '../fs/plugin-dir.js';
import { isWithinRoot, parsePluginPath } from '../fs/plugin-path.js';
import type { GrantPolicy } from './grant-policy.js';
import type { GrantContext } from './grant-context.js';

/** The fs permissions, and the policy-root access each needs. */
export const FS_PERMISSIONS = ['fs.read', 'fs.write'] as const;
export type FsPermission = (typeof FS_PERMISSIONS)[number];

/**
 * One fs grant path of a manifest, resolved: `declared` is the canonical path (after
 * `$PLUGIN_DIR` expansion), `real` its real path; `error` when it does not parse.
 */
export type ResolvedGrantPath =
  | { ok: true; raw: string; declared: string; real: string }
  | { ok: false; raw: string; error: string };

/** Expands, parses and resolves one manifest fs path. */
export function resolveGrantPath(raw: string, ctx: GrantContext): ResolvedGrantPath {
  const parsed = parsePluginPath(expandPluginDir(raw, ctx.pluginDir));
  if (!parsed.ok) return { ok: false, raw, error: parsed.reason };
  return { ok: true, raw, declared: parsed.value, real: ctx.realPath(parsed.value) };
}

/** The plugin's own directory as written and as it resolves. */
export function ownDirs(ctx: GrantContext): string[] {
  const own = parsePluginPath(ctx.pluginDir);
  return own.ok ? [own.value, ctx.realPath(own.value)] : [];
}

/**
 * Places a grant of `permission` may name: the own directory and the policy roots whose
 * access allows it (`read` roots do not allow fs.write), each as written and as resolved.
 */
export function allowedPlaces(
  permission: FsPermission,
  policy: GrantPolicy,
  ctx: GrantContext,
): string[] {
  const roots = policy.filesystem.roots
    .filter((r) => permission === 'fs.read' || r.access === 'read-write')
    .flatMap((r) => [r.path, ctx.realPath(r.path)]);
  return [...ownDirs(ctx), ...roots];
}

/** True when both the declared and the real path are inside one of `places`. */
export function insidePlaces(
  path: { declared: string; real: string },
  places: readonly string[],
): boolean {
  const inside = (p: string) => places.some((place) => isWithinRoot(place, p));
  return inside(path.declared) && inside(path.real);
}

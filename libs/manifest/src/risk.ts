import { HIGH_RISK_PERMISSIONS, type PermissionName, type Permissions } from '@convergio/contracts';

/** The high-risk permissions a manifest asks for, in catalog order. */
export function highRiskPermissions(permissions: Permissions): PermissionName[] {
  return HIGH_RISK_PERMISSIONS.filter((p) => permissions[p] !== undefined);
}

/** How requested permissions differ from those granted to an earlier version. */
export interface PermissionDiff {
  added: string[];
  changed: string[];
  removed: string[];
}

/** Compares two permission sets by name and by exact grant (paths, hosts, ids ...). */
export function diffPermissions(previous: Permissions, next: Permissions): PermissionDiff {
  const names = (p: Permissions) =>
    Object.keys(p).filter((k) => p[k as PermissionName] !== undefined) as PermissionName[];
  const before = new Set(names(previous));
  const after = names(next);
  return {
    added: after.filter((p) => !before.has(p)),
    changed: after.filter((p) => before.has(p) && canonical(previous[p]) !== canonical(next[p])),
    removed: [...before].filter((p) => next[p] === undefined),
  };
}

/** Whether `next` asks for anything beyond what `previous` was granted. */
export function asksForMore(diff: PermissionDiff): boolean {
  return diff.added.length > 0 || diff.changed.length > 0;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)),
        )
      : v,
  );
}

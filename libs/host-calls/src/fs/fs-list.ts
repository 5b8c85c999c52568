import { lstatSync, readdirSync } from 'node:fs';
import type { HostEnvironment } from '@convergio/sandbox';
import { admitPath, checkExisting, isHostError, withVerifiedDescriptor } from './fs-guard.js';
import { openDirectory } from './pinned-open.js';
import { entryKind, type GrantRoots } from './resolve-path.js';

/** Most entries one fs_list returns; the answer says when it stopped early. */
export const MAX_LIST_ENTRIES = 10_000;

/** The type fs_list reports for an entry (symlinks are reported, not followed). */
export type ListedType = 'file' | 'directory' | 'symlink' | 'other';

/**
 * `fs_list {path}` → `{entries: [{name, type: 'file'|'directory'|'symlink'|'other', size}],
 * truncated?: true}` (needs fs.read). Symlinks on the path are followed like fs_read; the
 * entries themselves are not (`size` is 0 except for files). At most MAX_LIST_ENTRIES.
 * Errors: permission_denied (recorded), not_found, io_error.
 */
export function fsList(env: HostEnvironment, roots: GrantRoots | null, input: unknown): unknown {
  const path = admitPath(env, 'fs.read', roots, (input as { path?: unknown } | null)?.path);
  if (isHostError(path)) return path;
  const checked = checkExisting(env, 'fs.read', roots!, path, 'list');
  if (isHostError(checked)) return checked;
  const { realPath, facts, decisionFacts: common } = checked;

  return withVerifiedDescriptor(
    env,
    'fs.read',
    path,
    { realPath, facts },
    common,
    () => openDirectory(realPath),
    (fd) => {
      // Read through the descriptor: the directory checked is the directory listed.
      const pinned = `/proc/self/fd/${fd}`;
      const names = readdirSync(pinned).sort();
      const entries = names.slice(0, MAX_LIST_ENTRIES).map((name) => describeEntry(pinned, name));
      return names.length > MAX_LIST_ENTRIES ? { entries, truncated: true } : { entries };
    },
  );
}

function describeEntry(
  dir: string,
  name: string,
): { name: string; type: ListedType; size: number } {
  let kind;
  let size = 0;
  try {
    const stats = lstatSync(`${dir}/${name}`, { bigint: true });
    kind = entryKind(stats);
    if (kind === 'file') size = Number(stats.size);
  } catch {
    kind = 'missing'; // removed while listing
  }
  const type: ListedType =
    kind === 'file' || kind === 'directory' || kind === 'symlink' ? kind : 'other';
  return { name, type, size };
}

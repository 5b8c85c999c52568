import { lstatSync, realpathSync, type BigIntStats } from 'node:fs';
import { posix } from 'node:path';
import { parsePluginPath, type FileIdentity, type FsEntryKind } from '@convergio/policy';

/** The outcome of resolving a plugin path to a real path. */
export type Resolution =
  | { kind: 'resolved'; realPath: string; exists: boolean }
  | { kind: 'not-found' }
  | { kind: 'dangling-symlink' };

const isMissing = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * realpath for paths that may not exist yet: the real path of the deepest existing
 * ancestor plus the missing rest. A symlink on the way that does not resolve is reported
 * (it is refused: answering `not_found` for it would tell the plugin whether its target
 * exists outside the grant). Symlink loops surface as ELOOP and are thrown.
 */
export function resolveReal(path: string): Resolution {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = realpathSync.native(existing);
      return {
        kind: 'resolved',
        realPath: rest.length ? posix.join(real, ...rest) : real,
        exists: rest.length === 0,
      };
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
    if (lstatOrNull(existing)?.isSymbolicLink()) return { kind: 'dangling-symlink' };
    if (existing === '/') return { kind: 'not-found' };
    rest.unshift(posix.basename(existing));
    existing = posix.dirname(existing);
  }
}

function lstatOrNull(path: string): BigIntStats | null {
  try {
    return lstatSync(path, { bigint: true });
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** The kind of file a stat describes. */
export function entryKind(stats: BigIntStats | null): FsEntryKind {
  if (!stats) return 'missing';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFIFO()) return 'fifo';
  if (stats.isSocket()) return 'socket';
  if (stats.isCharacterDevice()) return 'char-device';
  if (stats.isBlockDevice()) return 'block-device';
  return 'other';
}

/** lstat facts of a real path: what the decision needs, plus the identity to re-check after open. */
export interface EntryFacts {
  kind: FsEntryKind;
  nlink: number;
  size: number;
  identity: FileIdentity | null;
}

export function statFacts(stats: BigIntStats | null): EntryFacts {
  return {
    kind: entryKind(stats),
    nlink: stats ? Number(stats.nlink) : 0,
    size: stats ? Number(stats.size) : 0,
    identity: stats ? { dev: stats.dev, ino: stats.ino } : null,
  };
}

export function lstatFacts(realPath: string): EntryFacts {
  return statFacts(lstatOrNull(realPath));
}

/** The paths of one fs grant: as the manifest wrote them, and resolved once, when the plugin is bound. */
export interface GrantRoots {
  declared: string[];
  real: string[];
}

/**
 * Resolves granted paths once. Entries that are not canonical absolute paths are dropped
 * (the manifest schema only bounds their length); a grant through a symlink becomes its
 * target, so moving the symlink later does not move the grant.
 */
export function resolveGrantRoots(paths: readonly string[] | undefined): GrantRoots | null {
  if (!paths) return null;
  const declared: string[] = [];
  const real: string[] = [];
  for (const raw of paths) {
    const parsed = parsePluginPath(raw);
    if (!parsed.ok) continue;
    declared.push(parsed.value);
    try {
      const resolution = resolveReal(parsed.value);
      if (resolution.kind === 'resolved') real.push(resolution.realPath);
    } catch {
      // A grant that cannot be resolved (loop, EACCES) grants nothing.
    }
  }
  return { declared, real };
}

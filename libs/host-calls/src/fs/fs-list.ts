import { lstatSync, readdirSync } from 'node:fs';
import { isFailure } from '../host-call-result.js';
import { allow, defineHostFunction } from '../host-function-definition.js';
import {
  checkExisting,
  fsGrantSteps,
  parseFsPath,
  refuseFsPath,
  withVerifiedDescriptor,
  type FsBound,
} from './fs-guard.js';
import { openDirectory } from './pinned-open.js';
import { entryKind } from './resolve-path.js';

/** Most entries one fs_list returns; the answer says when it stopped early. */
const MAX_LIST_ENTRIES = 10_000;

/** The type fs_list reports for an entry (symlinks are reported, not followed). */
export type ListedType = 'file' | 'directory' | 'symlink' | 'other';

/**
 * `fs_list {path}` → `{entries: [{name, type: 'file'|'directory'|'symlink'|'other', size}],
 * truncated?: true}` (needs fs.read). Symlinks on the path are followed like fs_read; the
 * entries themselves are not (`size` is 0 except for files). At most MAX_LIST_ENTRIES.
 */
export const fsListFunction = defineHostFunction<FsBound, string>({
  ...fsGrantSteps('fs.read'),
  parse: (input, { env }) => parseFsPath(env, (input as { path?: unknown } | null)?.path),
  decide: (path, bound) => refuseFsPath(bound, path) ?? allow(path),
  run: (path, { env, roots }) => {
    const checked = checkExisting(env, roots!, path, 'list');
    if (isFailure(checked)) return checked;
    const { realPath, facts, decisionFacts: common } = checked;
    return withVerifiedDescriptor(
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
  },
});

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

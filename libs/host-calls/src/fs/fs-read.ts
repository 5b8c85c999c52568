import { constants, readSync } from 'node:fs';
import type { HostEnvironment } from '@convergio/sandbox';
import { admitPath, checkExisting, isHostError, withVerifiedDescriptor } from './fs-guard.js';
import { openInCheckedDirectory } from './pinned-open.js';
import type { GrantRoots } from './resolve-path.js';

export type FsEncoding = 'utf8' | 'base64';
export const isFsEncoding = (v: unknown): v is FsEncoding => v === 'utf8' || v === 'base64';

/**
 * `fs_read {path, encoding?: 'utf8'|'base64'}` → `{content, size}` (needs fs.read).
 * `path` is absolute; symlinks are followed and the real path must lie under a granted
 * path. Only regular files with one link, at most policy.maxFileBytes. `size` is bytes.
 * Errors: permission_denied (recorded), not_found, io_error.
 */
export function fsRead(env: HostEnvironment, roots: GrantRoots | null, input: unknown): unknown {
  const { path: raw, encoding = 'utf8' } = (input ?? {}) as { path?: unknown; encoding?: unknown };
  const path = admitPath(env, 'fs.read', roots, raw);
  if (isHostError(path)) return path;
  if (!isFsEncoding(encoding)) return env.deny('fs.read', path, 'encoding must be utf8 or base64');

  const checked = checkExisting(env, 'fs.read', roots!, path, 'read');
  if (isHostError(checked)) return checked;
  const { realPath, facts, decisionFacts: common } = checked;

  return withVerifiedDescriptor(
    env,
    'fs.read',
    path,
    { realPath, facts },
    common,
    () => openInCheckedDirectory(realPath, constants.O_RDONLY),
    (fd) => {
      const content = readCapped(fd, env.policy.maxFileBytes);
      if (!content)
        return env.deny('fs.read', path, `file is larger than ${env.policy.maxFileBytes} bytes`);
      return { content: content.toString(encoding), size: content.length };
    },
  );
}

/** Reads to EOF; null if the file holds more than `max` bytes (it may have grown since fstat). */
function readCapped(fd: number, max: number): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, max + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
    if (total > max) return null;
  }
  return Buffer.concat(chunks, total);
}

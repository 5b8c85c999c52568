import { constants, readSync } from 'node:fs';
import { isFailure, refuse } from '../host-call-result.js';
import { allow, defineHostFunction } from '../host-function-definition.js';
import {
  checkExisting,
  fsGrantSteps,
  parseFsPath,
  refuseFsPath,
  withVerifiedDescriptor,
  type FsBound,
} from './fs-guard.js';
import { openInCheckedDirectory } from './pinned-open.js';

export type FsEncoding = 'utf8' | 'base64';
export const isFsEncoding = (v: unknown): v is FsEncoding => v === 'utf8' || v === 'base64';

/**
 * `fs_read {path, encoding?: 'utf8'|'base64'}` → `{content, size}` (needs fs.read).
 * `path` is absolute; symlinks are followed and the real path must lie under a granted
 * path. Only regular files with one link, at most policy.maxFileBytes. `size` is bytes.
 */
export const fsReadFunction = defineHostFunction<FsBound, { path: string; encoding: FsEncoding }>({
  ...fsGrantSteps('fs.read'),
  parse: (input, { env }) => {
    const { path: raw, encoding = 'utf8' } = (input ?? {}) as {
      path?: unknown;
      encoding?: unknown;
    };
    const path = parseFsPath(env, raw);
    if (isFailure(path)) return path;
    return isFsEncoding(encoding)
      ? { path, encoding }
      : refuse(path, 'encoding must be utf8 or base64');
  },
  decide: (request, bound) => refuseFsPath(bound, request.path) ?? allow(request),
  run: ({ path, encoding }, { env, roots }) => {
    const checked = checkExisting(env, roots!, path, 'read');
    if (isFailure(checked)) return checked;
    const { realPath, facts, decisionFacts: common } = checked;
    return withVerifiedDescriptor(
      path,
      { realPath, facts },
      common,
      () => openInCheckedDirectory(realPath, constants.O_RDONLY),
      (fd) => {
        const content = readCapped(fd, env.policy.maxFileBytes);
        if (!content) return refuse(path, `file is larger than ${env.policy.maxFileBytes} bytes`);
        return { content: content.toString(encoding), size: content.length };
      },
    );
  },
});

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

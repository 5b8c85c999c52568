import { constants, fstatSync, ftruncateSync, writeSync } from 'node:fs';
import { posix } from 'node:path';
import type { HostEnvironment } from '@convergio/sandbox';
import { decideFsAccess } from '@convergio/policy';
import { hostError, isFailure, refuse, type HostCallOutcome } from '../host-call-result.js';
import { allow, defineHostFunction } from '../host-function-definition.js';
import {
  fsGrantSteps,
  parseFsPath,
  refuseFsPath,
  withVerifiedDescriptor,
  type FsBound,
} from './fs-guard.js';
import { isFsEncoding } from './fs-read.js';
import { openInCheckedDirectory } from './pinned-open.js';
import { lstatFacts, resolveReal, statFacts } from './resolve-path.js';

const { O_APPEND, O_CREAT, O_EXCL, O_WRONLY } = constants;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Mode of files fs_write creates: owner read/write only. */
const CREATED_FILE_MODE = 0o600;

/** An fs_write input, parsed: the bytes to write. */
export interface WriteRequest {
  path: string;
  bytes: Buffer;
  append: boolean;
}

/**
 * `fs_write {path, content, encoding?: 'utf8'|'base64', append?: boolean}` → `{size}` (needs
 * fs.write; does not need fs.read). Creates the file (mode 0600) if its directory exists,
 * else replaces or appends. Directories on the path are resolved; a symlink AT the target is
 * never followed (refused, dangling or not). `size` is the file's size after the write; the
 * content, and for appends the resulting file, must not exceed policy.maxFileBytes.
 */
export const fsWriteFunction = defineHostFunction<FsBound, WriteRequest>({
  ...fsGrantSteps('fs.write'),
  parse: (input, { env }) => parseWrite(env, input),
  decide: (request, bound) => refuseFsPath(bound, request.path) ?? allow(request),
  run: (request, bound) => write(request, bound),
});

function parseWrite(env: HostEnvironment, input: unknown): HostCallOutcome<WriteRequest> {
  const {
    path: raw,
    content,
    encoding = 'utf8',
    append = false,
  } = (input ?? {}) as Record<string, unknown>;
  const path = parseFsPath(env, raw);
  if (isFailure(path)) return path;
  if (!isFsEncoding(encoding)) return refuse(path, 'encoding must be utf8 or base64');
  if (typeof content !== 'string') return refuse(path, 'content must be a string');
  if (typeof append !== 'boolean') return refuse(path, 'append must be a boolean');
  if (encoding === 'base64' && (content.length % 4 !== 0 || !BASE64.test(content))) {
    return refuse(path, 'content is not valid base64');
  }
  // Refuse before allocating: a base64 or UTF-8 string is never shorter than 3/4 of its bytes.
  if (content.length > env.policy.maxFileBytes * 4) {
    return refuse(path, `content is larger than ${env.policy.maxFileBytes} bytes`);
  }
  return { path, bytes: Buffer.from(content, encoding), append };
}

function write({ path, bytes, append }: WriteRequest, { env, roots }: FsBound): HostCallOutcome {
  if (path === '/') return refuse(path, 'not a regular file (directory)');
  const parent = resolveReal(posix.dirname(path));
  if (parent.kind === 'dangling-symlink')
    return refuse(path, 'a symbolic link on the path does not resolve');
  if (parent.kind === 'not-found') return hostError('not_found', 'the directory does not exist');
  const realPath = posix.join(parent.realPath, posix.basename(path));
  const facts = parent.exists ? lstatFacts(realPath) : statFacts(null);
  const common = {
    operation: 'write' as const,
    grantRoots: roots!.real,
    protection: env.policy.protection,
    maxFileBytes: env.policy.maxFileBytes,
    writeBytes: bytes.length,
    append,
  };
  const decision = decideFsAccess({ ...common, realPath, ...facts });
  if (!decision.allowed) return refuse(path, decision.reason);
  // Only now, once the place is known to be inside the grants, may the plugin learn it is missing.
  if (!parent.exists) return hostError('not_found', 'the directory does not exist');

  // Never O_TRUNC: truncation would happen before the descriptor is verified.
  const creating = facts.kind === 'missing';
  const flags = O_WRONLY | (creating ? O_CREAT | O_EXCL : 0) | (append ? O_APPEND : 0);
  return withVerifiedDescriptor(
    path,
    // A file we just created is checked as new: its identity was unknown before the open.
    { realPath, facts: creating ? { ...facts, identity: null } : facts },
    common,
    () => openInCheckedDirectory(realPath, flags, CREATED_FILE_MODE),
    (fd) => {
      if (!append) ftruncateSync(fd, 0);
      for (let offset = 0; offset < bytes.length;) offset += writeSync(fd, bytes, offset);
      return { size: Number(fstatSync(fd).size) };
    },
  );
}

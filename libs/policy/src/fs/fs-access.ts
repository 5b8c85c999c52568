import { protectedPathRefusal, type PathProtection } from './path-protection.js';
import { isWithinAnyRoot } from './plugin-path.js';

/** What a plugin wants to do with a path; each needs its own grant (fs.write does not imply fs.read). */
export type FsOperation = 'read' | 'write' | 'list';

/** The type of a directory entry as lstat reports it (`missing` when it does not exist yet). */
export type FsEntryKind =
  | 'file'
  | 'directory'
  | 'symlink'
  | 'fifo'
  | 'socket'
  | 'char-device'
  | 'block-device'
  | 'missing'
  | 'other';

/** A yes, or a no with the reason that goes into the permission.denied event. */
export type FsDecision =
  | { allowed: true }
  /** `notFound`: refused only because the target does not exist (inside the grants: safe to say so). */
  | { allowed: false; reason: string; notFound?: boolean };

/** What the host found out about a target, after resolving it, for one decision. */
export interface FsTargetFacts {
  operation: FsOperation;
  /** Real path of the target; for a target that does not exist yet, real parent + name. */
  realPath: string;
  /** Real paths of the grants of the operation's permission. */
  grantRoots: readonly string[];
  /** What the platform never grants, whatever the grants say (see protectedPathRefusal). */
  protection: PathProtection;
  /** lstat of `realPath` (never followed). */
  kind: FsEntryKind;
  nlink: number;
  size: number;
  /** Writes: the bytes the plugin sends and whether they are appended. */
  writeBytes?: number;
  append?: boolean;
  maxFileBytes: number;
}

const ALLOW: FsDecision = { allowed: true };
const deny = (reason: string): FsDecision => ({ allowed: false, reason });

/**
 * First gate, before any I/O: the path as the plugin wrote it must lie under a grant as
 * the manifest wrote it or as it resolved. Refusing here means a plugin cannot learn
 * whether a file outside its grants exists (`not_found` versus `permission_denied`).
 * A protected path (see protectedPathRefusal) is refused even under a grant.
 */
export function decideRequestedPath(
  path: string,
  declaredRoots: readonly string[],
  realRoots: readonly string[],
  protection: PathProtection,
): FsDecision {
  const protectedReason = protectedPathRefusal(path, protection);
  if (protectedReason) return deny(protectedReason);
  if (!isWithinAnyRoot(declaredRoots, path) && !isWithinAnyRoot(realRoots, path)) {
    return deny('path is outside the granted paths');
  }
  return ALLOW;
}

/**
 * The decision proper, on resolved facts: may this operation touch this real path?
 * Refuses protected paths even when granted (kernel pseudo file systems, the platform's
 * own files, `.env` files: see protectedPathRefusal), anything outside the grants,
 * anything but regular files (read, write) or directories (list), a symlink at the
 * target of a write (even a dangling one), regular files with more than one hard link
 * (a hard link inside the grant to a file outside it looks inside to realpath), and
 * sizes above the operator's cap (for appends, the size after the append).
 */
export function decideFsAccess(facts: FsTargetFacts): FsDecision {
  const { operation, realPath, kind } = facts;
  const protectedReason = protectedPathRefusal(realPath, facts.protection);
  if (protectedReason) return deny(protectedReason.replace(/^path is/, 'path resolves'));
  if (!isWithinAnyRoot(facts.grantRoots, realPath))
    return deny('path resolves outside the granted paths');

  if (kind === 'symlink') return deny('the target is a symbolic link');
  if (kind === 'missing') {
    return operation === 'write'
      ? checkWriteSize(facts)
      : { allowed: false, reason: 'the target does not exist', notFound: true };
  }
  if (operation === 'list') return kind === 'directory' ? ALLOW : deny(`not a directory (${kind})`);
  if (kind !== 'file') return deny(`not a regular file (${kind})`);
  if (facts.nlink > 1) return deny('the file has more than one hard link');
  if (operation === 'read') {
    return facts.size > facts.maxFileBytes
      ? deny(`file is larger than ${facts.maxFileBytes} bytes`)
      : ALLOW;
  }
  return checkWriteSize(facts);
}

function checkWriteSize(facts: FsTargetFacts): FsDecision {
  const incoming = facts.writeBytes ?? 0;
  const existing = facts.append && facts.kind === 'file' ? facts.size : 0;
  if (incoming > facts.maxFileBytes)
    return deny(`content is larger than ${facts.maxFileBytes} bytes`);
  if (existing + incoming > facts.maxFileBytes) {
    return deny(`the file would grow beyond ${facts.maxFileBytes} bytes`);
  }
  return ALLOW;
}

/** Identity of a file: device and inode. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

/**
 * Time-of-check/time-of-use guard: after opening, the descriptor's own real path (read from
 * /proc/self/fd) must be the path that was checked, and an existing file must still be the
 * same inode. A directory swapped for a symlink between the check and the open shows up
 * here as a different path; a file swapped for another as a different inode.
 */
export function decideOpenedMatchesChecked(
  checked: { realPath: string; identity: FileIdentity | null },
  opened: { realPath: string; identity: FileIdentity },
): FsDecision {
  if (opened.realPath !== checked.realPath) return deny('the path changed between check and open');
  if (
    checked.identity &&
    (checked.identity.dev !== opened.identity.dev || checked.identity.ino !== opened.identity.ino)
  ) {
    return deny('the file changed between check and open');
  }
  return ALLOW;
}

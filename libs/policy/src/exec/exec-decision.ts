import type { Trust } from '@convergio/contracts';
import { isForbiddenPath, isWithinAnyRoot } from '../fs/plugin-path.js';
import type { FsEntryKind } from '../fs/fs-access.js';

/** One `proc.exec.binaries` entry: as the manifest wrote it and its real path (null if it does not resolve). */
export interface BinaryGrant {
  declared: string;
  real: string | null;
}

export type ExecDecision =
  { allowed: true; grant: BinaryGrant } | { allowed: false; reason: string };

/** What the host found out about a proc_exec call. */
export interface ExecFacts {
  trust: Trust;
  /** undefined when the plugin has no proc.exec grant. */
  grants: readonly BinaryGrant[] | undefined;
  /** Real path of the binary the plugin named; null when it does not resolve. */
  requestedReal: string | null;
  /** Real paths of the plugin's fs.write grants. */
  writeRoots: readonly string[];
}

/**
 * May this plugin run any process at all? Checked first, before the input is even read:
 * untrusted plugins never may, whatever their manifest was granted (docs/plugin-author-guide.md).
 */
export function decideExecAtAll(
  trust: Trust,
  grants: readonly BinaryGrant[] | undefined,
): { allowed: true } | { allowed: false; reason: string } {
  if (trust === 'untrusted')
    return { allowed: false, reason: 'untrusted plugins may never run processes' };
  if (!grants || grants.length === 0) return { allowed: false, reason: 'proc.exec is not granted' };
  return { allowed: true };
}

/**
 * May this plugin run this binary? Untrusted plugins never may, whatever they were granted
 * (docs/plugin-author-guide.md). Otherwise the binary's real path must equal the real path of a granted
 * binary. The match returns the grant so the host executes the granted name as argv[0]:
 * multi-call binaries (busybox) pick their behaviour from argv[0], so a grant of
 * `/bin/ls` must not become `/bin/sh` because both resolve to `/bin/busybox`. A binary
 * inside the plugin's own fs.write grants is refused: the plugin could rewrite it.
 */
export function decideExec(facts: ExecFacts): ExecDecision {
  const gate = decideExecAtAll(facts.trust, facts.grants);
  if (!gate.allowed) return gate;
  const real = facts.requestedReal;
  if (real === null) return { allowed: false, reason: 'the binary is not an allowlisted binary' };
  const grant = facts.grants!.find((g) => g.real !== null && g.real === real);
  if (!grant) return { allowed: false, reason: 'the binary is not an allowlisted binary' };
  if (isWithinAnyRoot(facts.writeRoots, real)) {
    return { allowed: false, reason: 'the binary lies inside a path the plugin may write' };
  }
  return { allowed: true, grant };
}

/**
 * May the process start in this directory? Only inside the plugin's fs.read or fs.write
 * grants (real paths), never in /proc, /sys or /dev, and only a directory.
 */
export function decideExecCwd(
  realCwd: string,
  kind: FsEntryKind,
  fsRoots: readonly string[],
): { allowed: true } | { allowed: false; reason: string } {
  if (isForbiddenPath(realCwd))
    return { allowed: false, reason: 'cwd is inside /proc, /sys or /dev' };
  if (!isWithinAnyRoot(fsRoots, realCwd))
    return { allowed: false, reason: 'cwd is outside the granted paths' };
  if (kind !== 'directory') return { allowed: false, reason: 'cwd is not a directory' };
  return { allowed: true };
}

/** Keeps at most `max` bytes of a process's output and says whether it cut any. */
export function capOutput(
  bytes: Uint8Array,
  max: number,
): { bytes: Uint8Array; truncated: boolean } {
  return bytes.length > max
    ? { bytes: bytes.subarray(0, max), truncated: true }
    : { bytes, truncated: false };
}

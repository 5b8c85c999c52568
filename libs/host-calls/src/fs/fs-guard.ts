import type { HostEnvironment, HostError } from '@convergio/sandbox';
import {
  decideFsAccess,
  decideOpenedMatchesChecked,
  decideRequestedPath,
  describePluginValue,
  expandPluginDir,
  parsePluginPath,
  type FsTargetFacts,
} from '@convergio/policy';
import { closeSync } from 'node:fs';
import { descriptorFacts, RaceDetected, type OpenedFacts } from './pinned-open.js';
import { hostError } from './host-error.js';
import { lstatFacts, resolveReal, type EntryFacts, type GrantRoots } from './resolve-path.js';

export type FsCapability = 'fs.read' | 'fs.write';

export function isHostError(value: unknown): value is HostError {
  return typeof value === 'object' && value !== null && 'error' in value;
}

/**
 * The checks that need no I/O: the permission is granted, the path is well formed (after
 * `$PLUGIN_DIR` is expanded to the plugin's own directory), it names a place under a grant and
 * not one of the platform's own files. Returns the canonical path, or the recorded refusal.
 */
export function admitPath(
  env: HostEnvironment,
  capability: FsCapability,
  roots: GrantRoots | null,
  raw: unknown,
): string | HostError {
  const target = describePluginValue(raw);
  if (!roots) return env.deny(capability, target, `${capability} is not granted`);
  const { pluginDir, protection } = env.policy;
  const parsed = parsePluginPath(
    typeof raw === 'string' && pluginDir ? expandPluginDir(raw, pluginDir) : raw,
  );
  if (!parsed.ok) return env.deny(capability, target, parsed.reason);
  const decision = decideRequestedPath(parsed.path, roots.declared, roots.real, protection);
  return decision.allowed ? parsed.path : env.deny(capability, parsed.path, decision.reason);
}

/**
 * After open: the descriptor must be what was checked (path and inode), and the decision
 * is taken again on the descriptor's own facts (a hard link or a FIFO raced in is caught).
 */
export function verifyOpened(
  env: HostEnvironment,
  capability: FsCapability,
  target: string,
  checked: { realPath: string; facts: EntryFacts },
  opened: OpenedFacts,
  decisionFacts: Omit<FsTargetFacts, 'realPath' | 'kind' | 'nlink' | 'size'>,
): HostError | null {
  const same = decideOpenedMatchesChecked(
    { realPath: checked.realPath, identity: checked.facts.identity },
    opened,
  );
  if (!same.allowed) return env.deny(capability, target, same.reason);
  const again = decideFsAccess({
    ...decisionFacts,
    realPath: opened.realPath,
    kind: opened.kind,
    nlink: opened.nlink,
    size: opened.size,
  });
  return again.allowed ? null : env.deny(capability, target, again.reason);
}

/** An existing file or directory that passed every check before open. */
export interface CheckedEntry {
  realPath: string;
  facts: EntryFacts;
  decisionFacts: Omit<FsTargetFacts, 'realPath' | 'kind' | 'nlink' | 'size'>;
}

/**
 * Resolves an admitted path that must already exist (for reading or listing) and decides
 * access on what it resolves to; not_found is only ever answered inside the grants.
 */
export function checkExisting(
  env: HostEnvironment,
  capability: FsCapability,
  roots: GrantRoots,
  path: string,
  operation: 'read' | 'list',
): CheckedEntry | HostError {
  const resolution = resolveReal(path);
  if (resolution.kind === 'not-found') return hostError('not_found', 'no such file or directory');
  if (resolution.kind === 'dangling-symlink')
    return env.deny(capability, path, 'a symbolic link on the path does not resolve');
  const { realPath } = resolution;
  const facts = lstatFacts(realPath);
  const decisionFacts = {
    operation,
    grantRoots: roots.real,
    protection: env.policy.protection,
    maxFileBytes: env.policy.maxFileBytes,
  };
  const decision = decideFsAccess({ ...decisionFacts, realPath, ...facts });
  if (decision.allowed) return { realPath, facts, decisionFacts };
  return decision.notFound
    ? hostError('not_found', 'no such file or directory')
    : env.deny(capability, path, decision.reason);
}

/**
 * Opens with `open`, checks the descriptor is what was checked (a race is a refusal), hands
 * it to `use`, and always closes it.
 */
export function withVerifiedDescriptor(
  env: HostEnvironment,
  capability: FsCapability,
  path: string,
  checked: { realPath: string; facts: EntryFacts },
  decisionFacts: Omit<FsTargetFacts, 'realPath' | 'kind' | 'nlink' | 'size'>,
  open: () => number,
  use: (fd: number) => unknown,
): unknown {
  let fd: number;
  try {
    fd = open();
  } catch (error) {
    if (error instanceof RaceDetected) return env.deny(capability, path, error.message);
    throw error;
  }
  try {
    return (
      verifyOpened(env, capability, path, checked, descriptorFacts(fd), decisionFacts) ?? use(fd)
    );
  } finally {
    closeSync(fd);
  }
}

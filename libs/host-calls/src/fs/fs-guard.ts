import type { HostEnvironment } from '@convergio/sandbox';
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
import { hostError, refuse, type HostCallFailure, type Refusal } from '../host-call-result.js';
import { notGranted, type HostCallRefusal } from '../host-function-definition.js';
import {
  lstatFacts,
  resolveGrantRoots,
  resolveReal,
  type EntryFacts,
  type GrantRoots,
} from './resolve-path.js';

/** The plugin's grant of one fs capability, resolved once per worker. */
export interface FsBound {
  env: HostEnvironment;
  roots: GrantRoots | null;
}

/**
 * The steps every fs host function shares: the permission it needs, what a refusal names before
 * the path is parsed, the grant's roots resolved once per worker, refused when not granted.
 */
export function fsGrantSteps(capability: 'fs.read' | 'fs.write') {
  return {
    capability,
    target: (input: unknown): string =>
      describePluginValue((input as { path?: unknown } | null)?.path),
    bind: (env: HostEnvironment): FsBound => ({
      env,
      roots: resolveGrantRoots(env.grants[capability]?.paths),
    }),
    admit: ({ roots }: FsBound): string | null => (roots ? null : notGranted(capability)),
  };
}

/**
 * The path as the plugin may name it: well formed, absolute, `$PLUGIN_DIR` expanded to the
 * plugin's own directory. A malformed path is a refusal (it may be an attack), not bad input.
 */
export function parseFsPath(env: HostEnvironment, raw: unknown): string | Refusal {
  const { pluginDir } = env.policy;
  const parsed = parsePluginPath(
    typeof raw === 'string' && pluginDir ? expandPluginDir(raw, pluginDir) : raw,
  );
  return parsed.ok ? parsed.value : refuse(describePluginValue(raw), parsed.reason);
}

/**
 * The decision that needs no I/O: the path names a place under a grant, not a platform file.
 * Null when it does; else the refusal.
 */
export function refuseFsPath({ env, roots }: FsBound, path: string): HostCallRefusal | null {
  const decision = decideRequestedPath(path, roots!.declared, roots!.real, env.policy.protection);
  return decision.allowed ? null : { allowed: false, reason: decision.reason, target: path };
}

/**
 * After open: the descriptor must be what was checked (path and inode), and the decision
 * is taken again on the descriptor's own facts (a hard link or a FIFO raced in is caught).
 */
function verifyOpened(
  target: string,
  checked: { realPath: string; facts: EntryFacts },
  opened: OpenedFacts,
  decisionFacts: Omit<FsTargetFacts, 'realPath' | 'kind' | 'nlink' | 'size'>,
): Refusal | null {
  const same = decideOpenedMatchesChecked(
    { realPath: checked.realPath, identity: checked.facts.identity },
    opened,
  );
  if (!same.allowed) return refuse(target, same.reason);
  const again = decideFsAccess({
    ...decisionFacts,
    realPath: opened.realPath,
    kind: opened.kind,
    nlink: opened.nlink,
    size: opened.size,
  });
  return again.allowed ? null : refuse(target, again.reason);
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
  roots: GrantRoots,
  path: string,
  operation: 'read' | 'list',
): CheckedEntry | HostCallFailure {
  const resolution = resolveReal(path);
  if (resolution.kind === 'not-found') return hostError('not_found', 'no such file or directory');
  if (resolution.kind === 'dangling-symlink')
    return refuse(path, 'a symbolic link on the path does not resolve');
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
    : refuse(path, decision.reason);
}

/**
 * Opens with `open`, checks the descriptor is what was checked (a race is a refusal), hands
 * it to `use`, and always closes it.
 */
export function withVerifiedDescriptor(
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
    if (error instanceof RaceDetected) return refuse(path, error.message);
    throw error;
  }
  try {
    return verifyOpened(path, checked, descriptorFacts(fd), decisionFacts) ?? use(fd);
  } finally {
    closeSync(fd);
  }
}

import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { Type } from '@sinclair/typebox';
import { ConfigError } from '@convergio/config';
import { platformProtectedRoots } from '@convergio/policy';
import {
  DEFAULT_GRANT_POLICY,
  GrantPolicyError,
  parseGrantPolicy,
  type GrantContext,
  type GrantPolicy,
} from '@convergio/policy/grant';

/** Plugin directories of a distributed service when PLUGIN_FILES_DIR is unset. */
export const DEFAULT_PLUGIN_FILES_DIR = './data/plugin-files';

/** Where the operator grant policy and the plugins' own directories are; read by verification and the executor. */
export const GrantPolicyEnv = {
  GRANT_POLICY_FILE: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'operator grant policy (JSON or YAML) that narrows every manifest; unset: the built-in safe default (docs/operator-guide.md)',
    }),
  ),
  PLUGIN_FILES_DIR: Type.Optional(
    Type.String({
      minLength: 1,
      description:
        'folder holding one directory per plugin, the only place fs grants may name by default (standalone: DATA_DIR/plugin-files; distributed: ./data/plugin-files)',
    }),
  ),
};

/** The operator policy and the facts about this installation every grant decision needs. */
export interface PlatformGrants {
  policy: GrantPolicy;
  /** Real path of the folder of plugin directories (`<PLUGIN_FILES_DIR>/<plugin id>`). */
  pluginFilesDir: string;
  /** Real paths no plugin is ever granted: data, artifacts, keys, configuration, home, /proc, /sys, /dev. */
  protectedRoots: string[];
  /** Where the policy came from: its file and the SHA-256 (hex) of the bytes read, or the built-in default (both null). */
  policySource: { file: string | null; sha256: string | null };
}

/**
 * Reads and validates the policy file (or takes the built-in default) and works out the
 * protected paths (the executor creates each plugin's directory when it loads the plugin). Throws ConfigError naming the variable
 * and listing every problem of the file, so a service stops at boot with one message.
 */
export function loadPlatformGrants(input: {
  policyFile?: string;
  pluginFilesDir: string;
  /** Folders of the platform's own data: data dir, artifacts, database. */
  dataDirs: string[];
  /** Files of the platform's own configuration and keys (besides the policy file). */
  configFiles?: string[];
}): PlatformGrants {
  const read = input.policyFile ? readPolicy(input.policyFile) : null;
  const policy = read?.policy ?? DEFAULT_GRANT_POLICY;
  const pluginFilesDir = realPathOf(resolve(input.pluginFilesDir));
  const home = homedir();
  const cwd = process.cwd();
  const protectedRoots = platformProtectedRoots({
    dataDirs: [...input.dataDirs, pluginFilesDir].map((d) => realPathOf(resolve(d))),
    configFiles: [
      ...(input.policyFile ? [input.policyFile] : []),
      ...(input.configFiles ?? []),
    ].map((f) => realPathOf(resolve(f))),
    // A home or working directory of "/" would protect everything: only a real folder counts.
    homeDir: home && home !== '/' ? realPathOf(resolve(home)) : null,
    workingDir: cwd !== '/' ? realPathOf(cwd) : null,
    extra: policy.protected_paths.map(realPathOf),
  });
  const policySource = {
    file: input.policyFile ? resolve(input.policyFile) : null,
    sha256: read?.sha256 ?? null,
  };
  return { policy, pluginFilesDir, protectedRoots, policySource };
}

/** The grant context of one plugin: its own directory, what is protected, and real paths from this file system. */
export function grantContextOf(grants: PlatformGrants, pluginId: string): GrantContext {
  const pluginDir = pluginDirOf(grants, pluginId);
  return {
    pluginId,
    pluginDir,
    protection: { roots: grants.protectedRoots, ownDir: pluginDir },
    realPath: realPathOf,
  };
}

/** `<plugin files dir>/<plugin id>`; plugin ids are safe file names (manifest schema). */
export function pluginDirOf(grants: PlatformGrants, pluginId: string): string {
  return join(grants.pluginFilesDir, pluginId);
}

function readPolicy(file: string): { policy: GrantPolicy; sha256: string } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new ConfigError([
      {
        variable: 'GRANT_POLICY_FILE',
        expected: 'a readable policy file',
        received: `${file} (${(error as Error).message})`,
      },
    ]);
  }
  try {
    return {
      policy: parseGrantPolicy(bytes.toString('utf8'), file),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    };
  } catch (error) {
    if (!(error instanceof GrantPolicyError)) throw error;
    throw new ConfigError(
      error.problems.map((problem) => ({
        variable: 'GRANT_POLICY_FILE',
        expected: 'a valid grant policy',
        received: `${file}: ${problem}`,
      })),
    );
  }
}

/**
 * Real path of an absolute path that may not exist yet: the real path of its deepest
 * existing ancestor plus the missing rest (what a later mkdir or create would produce).
 */
export function realPathOf(path: string): string {
  const rest: string[] = [];
  let existing = path;
  for (;;) {
    try {
      const real = realpathSync.native(existing);
      return rest.length ? posix.join(real, ...rest) : real;
    } catch {
      if (existing === '/') return path;
      rest.unshift(posix.basename(existing));
      existing = posix.dirname(existing);
    }
  }
}

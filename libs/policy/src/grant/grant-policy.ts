import type { PermissionName } from '@convergio/contracts';
import type { CidrRange } from '../net/cidr.js';

/** How a policy root may be used: `read` allows fs.read only; `read-write` also fs.write. */
export type RootAccess = 'read' | 'read-write';

/** The per-call limits a policy may cap (names of the manifest's `limits`). */
export const LIMIT_NAMES = ['wall_time_ms', 'fuel', 'memory_pages', 'max_host_calls'] as const;
/** One of LIMIT_NAMES. */
export type LimitName = (typeof LIMIT_NAMES)[number];

/**
 * The operator's grant policy, normalised: canonical absolute paths, lower-case ASCII
 * host names without trailing dot, canonical IP texts, parsed ranges. Plain JSON (it
 * crosses into worker threads). Built by parseGrantPolicy; keys the file leaves out take
 * their value from DEFAULT_GRANT_POLICY.
 */
export interface GrantPolicy {
  filesystem: {
    /** Places fs grants may name beyond the plugin's own directory. */
    roots: readonly { path: string; access: RootAccess }[];
    /** Any fs grant outside the plugin's own directory waits for an admin. */
    admin_required_outside_plugin_dir: boolean;
  };
  network: {
    /** Exact names or canonical IP texts. */
    denied_hosts: readonly string[];
    /** A name equal to a suffix or ending in `.<suffix>`. */
    denied_host_suffixes: readonly string[];
    /** Ranges; `cidr` is the canonical text. */
    denied_cidrs: readonly CidrRange[];
    /** Plugin ids that may reach loopback, private and link-local addresses. */
    private_network_plugins: readonly string[];
  };
  permissions: {
    /** No plugin may be granted these. */
    denied: readonly PermissionName[];
    /** Need an admin, beyond HIGH_RISK_PERMISSIONS. */
    admin_required: readonly PermissionName[];
  };
  limits: {
    /** Highest value a manifest may ask for, per limit (same units as the manifest). */
    max: Readonly<Partial<Record<LimitName, number>>>;
  };
  /** Added to the platform's own never-grantable paths. */
  protected_paths: readonly string[];
}

/**
 * The policy of standalone mode, and the value of every key a policy file leaves out: no
 * roots beyond each plugin's own directory, fs grants outside it wait for an admin,
 * `proc.exec` denied, no network denials or limit caps beyond what the executor enforces.
 */
export const DEFAULT_GRANT_POLICY: GrantPolicy = deepFreeze({
  filesystem: { roots: [], admin_required_outside_plugin_dir: true },
  network: {
    denied_hosts: [],
    denied_host_suffixes: [],
    denied_cidrs: [],
    private_network_plugins: [],
  },
  permissions: { denied: ['proc.exec'], admin_required: [] },
  limits: { max: {} },
  protected_paths: [],
});

// Parsed policies share the default's arrays: freezing keeps one caller from changing them for all.
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

/**
 * A policy file that cannot be used. `problems` lists every problem found, each prefixed
 * with where it is (`/network/denied_cidrs/0: ...`, or a line for syntax errors); the
 * message names the file and repeats them all. `code` is the contracts error code.
 */
export class GrantPolicyError extends Error {
  override readonly name = 'GrantPolicyError';
  readonly code = 'validation_failed' as const;
  constructor(
    readonly fileName: string,
    readonly problems: readonly string[],
  ) {
    super(
      `invalid grant policy ${fileName}: ${problems.length} problem(s):\n` +
        problems.map((p) => `  - ${p}`).join('\n'),
    );
  }
}

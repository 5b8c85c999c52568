import type { Finding } from '@convergio/contracts';
import type { PathProtection } from '../fs/path-protection.js';

/**
 * What checkGrants needs to know about the plugin and the host. `pluginDir`: the plugin's
 * own directory, canonical absolute (what `$PLUGIN_DIR` expands to). `protection`: the
 * platform's protected roots with `ownDir` set (see platformProtectedRoots); the policy's
 * `protected_paths` are added to it by checkGrants. `realPath`: injected I/O, resolves the
 * symlinks of a canonical absolute path; for a path that does not exist, the real path of
 * its deepest existing ancestor plus the rest. It must not throw.
 */
export interface GrantContext {
  pluginId: string;
  pluginDir: string;
  protection: PathProtection;
  realPath: (canonicalPath: string) => string;
}

/**
 * A manifest value the operator's policy does not allow: `code` is `policy_violation`,
 * `rule` the dotted policy rule (`filesystem.roots`, `limits.max.fuel`), `path` the JSON
 * pointer into the manifest, `value` the value as written there.
 */
export type GrantFinding = Finding & {
  code: 'policy_violation';
  rule: string;
  path: string;
  value: string;
};

/** JSON pointer from segments (RFC 6901 escaping). */
export function pointer(...segments: (string | number)[]): string {
  return segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

/** A finding; `message` should say what to do about it. */
export function violation(
  rule: string,
  path: string,
  value: string,
  message: string,
): GrantFinding {
  return {
    code: 'policy_violation',
    rule,
    path,
    value: value.slice(0, 2000),
    message: message.slice(0, 2000),
  };
}

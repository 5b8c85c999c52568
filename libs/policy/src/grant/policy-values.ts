import {
  PERMISSION_NAMES,
  fail,
  succeed,
  type Outcome,
  type PermissionName,
} from '@convergio/contracts';
import { FORBIDDEN_ROOTS, isWithinAnyRoot, parsePluginPath } from '../fs/plugin-path.js';
import { normaliseHost, toAsciiHost } from '../net/host.js';

const LABEL = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/;
// Characters the URL parser would read as the end of the host (`a/b` is host `a`): refuse first.
const NOT_IN_HOST = /[\s/?#@\\%]/;

/**
 * A path in `filesystem.roots` or `protected_paths`: absolute, no `..`, no NUL, control
 * characters or backslashes (parsePluginPath), returned canonical (no trailing slash).
 */
export function policyPath(raw: string): Outcome<string> {
  return parsePluginPath(raw);
}

/** A `filesystem.roots` path; additionally never inside /proc, /sys or /dev. */
export function policyRoot(raw: string): Outcome<string> {
  const path = policyPath(raw);
  if (path.ok && isWithinAnyRoot(FORBIDDEN_ROOTS, path.value)) {
    return fail('path is inside /proc, /sys or /dev, which are never granted');
  }
  return path;
}

/**
 * A `network.denied_hosts` entry: a host name or IP literal, normalised as request
 * targets are (lower case, punycode, one trailing dot dropped, canonical IP text).
 */
export function policyHost(raw: string): Outcome<string> {
  if (raw.includes('*')) return fail('wildcards are not allowed here (use denied_host_suffixes)');
  if (NOT_IN_HOST.test(raw)) return fail('not a host name or IP address');
  const host = normaliseHost(toAsciiHost(raw) ?? '');
  if (!host) return fail('not a host name or IP address');
  if (host.kind === 'ip') return succeed(host.name);
  const labels = host.name.split('.');
  if (host.name.length > 253 || !labels.every((l) => LABEL.test(l))) {
    return fail('not a valid host name');
  }
  return succeed(host.name);
}

/** A `network.denied_host_suffixes` entry: a host name (one label or more), never an IP. */
export function policyHostSuffix(raw: string): Outcome<string> {
  if (raw.startsWith('.') || raw.startsWith('*.')) {
    return fail('write the suffix without a leading "." or "*." (it covers subdomains anyway)');
  }
  const host = policyHost(raw);
  if (host.ok && normaliseHost(host.value)?.kind === 'ip') {
    return fail('an IP address is not a suffix (use denied_hosts or denied_cidrs)');
  }
  return host;
}

/** A permission name of the catalog (PERMISSION_NAMES). */
export function policyPermission(raw: string): Outcome<PermissionName> {
  return (PERMISSION_NAMES as readonly string[]).includes(raw)
    ? succeed(raw as PermissionName)
    : fail(`unknown permission (known: ${PERMISSION_NAMES.join(', ')})`);
}

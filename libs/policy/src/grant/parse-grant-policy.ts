import { ajv, toDetails, type Outcome, type PermissionName } from '@convergio/contracts';
import { parseCidr } from '../net/cidr.js';
import {
  DEFAULT_GRANT_POLICY,
  GrantPolicyError,
  LIMIT_NAMES,
  type GrantPolicy,
  type LimitName,
  type RootAccess,
} from './grant-policy.js';
import { GrantPolicyFileSchema } from './grant-policy.schema.js';
import { readPolicySource } from './policy-source.js';
import {
  policyHost,
  policyHostSuffix,
  policyPath,
  policyPermission,
  policyRoot,
} from './policy-values.js';

const validateFile = ajv.compile(GrantPolicyFileSchema);

/**
 * Parses and normalises an operator grant policy file; the format comes from the
 * extension of `fileName` (.json, .yaml, .yml). Keys left out take their value from
 * DEFAULT_GRANT_POLICY. Throws GrantPolicyError listing EVERY problem at once: syntax
 * (including duplicate keys), schema (unknown keys, wrong types, limits that are not
 * positive integers) with the JSON pointer of the value, and values: unknown permission
 * names, paths that are relative or hold `..`, NUL or control characters, roots inside
 * /proc, /sys or /dev, malformed host names or suffixes, malformed ranges (prefix too
 * long, host bits set), a root listed twice with different access.
 */
export function parseGrantPolicy(text: string, fileName: string): GrantPolicy {
  const source = readPolicySource(text, fileName);
  if (!source.ok) throw new GrantPolicyError(fileName, source.problems);
  const problems: string[] = [];
  if (!validateFile(source.value)) {
    for (const detail of toDetails(validateFile.errors ?? [])) {
      const message =
        detail.code === 'schema.additionalProperties' ? 'unknown key' : detail.message;
      problems.push(`${detail.path}: ${message}`);
    }
  }
  const policy = normalise(source.value, problems);
  if (problems.length > 0) throw new GrantPolicyError(fileName, problems);
  return policy;
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {};

/**
 * Normalises what the schema may or may not have accepted: values of the wrong type are
 * skipped here (the schema already reported them), so every value problem is found too.
 */
function normalise(raw: unknown, problems: string[]): GrantPolicy {
  const file = object(raw);
  const fs = object(file.filesystem);
  const net = object(file.network);
  const perms = object(file.permissions);
  const values = <T>(pointer: string, list: unknown, check: (raw: string) => Outcome<T>) =>
    list === undefined ? undefined : checkAll(pointer, list, check, problems);
  const defaults = DEFAULT_GRANT_POLICY;
  const adminOutside = fs.admin_required_outside_plugin_dir;
  return {
    filesystem: {
      roots: fs.roots === undefined ? defaults.filesystem.roots : roots(fs.roots, problems),
      admin_required_outside_plugin_dir:
        typeof adminOutside === 'boolean'
          ? adminOutside
          : defaults.filesystem.admin_required_outside_plugin_dir,
    },
    network: {
      denied_hosts:
        values('/network/denied_hosts', net.denied_hosts, policyHost) ??
        defaults.network.denied_hosts,
      denied_host_suffixes:
        values('/network/denied_host_suffixes', net.denied_host_suffixes, policyHostSuffix) ??
        defaults.network.denied_host_suffixes,
      denied_cidrs:
        values('/network/denied_cidrs', net.denied_cidrs, parseCidr) ??
        defaults.network.denied_cidrs,
      private_network_plugins: Array.isArray(net.private_network_plugins)
        ? unique(net.private_network_plugins.filter((p): p is string => typeof p === 'string'))
        : defaults.network.private_network_plugins,
    },
    permissions: {
      denied:
        values<PermissionName>('/permissions/denied', perms.denied, policyPermission) ??
        defaults.permissions.denied,
      admin_required:
        values<PermissionName>(
          '/permissions/admin_required',
          perms.admin_required,
          policyPermission,
        ) ?? defaults.permissions.admin_required,
    },
    limits: { max: limits(object(object(file.limits).max)) },
    protected_paths:
      values('/protected_paths', file.protected_paths, policyPath) ?? defaults.protected_paths,
  };
}

function checkAll<T>(
  pointer: string,
  list: unknown,
  check: (raw: string) => Outcome<T>,
  problems: string[],
): T[] {
  if (!Array.isArray(list)) return [];
  const out: T[] = [];
  list.forEach((item, i) => {
    if (typeof item !== 'string') return;
    const result = check(item);
    if (result.ok) out.push(result.value);
    else problems.push(`${pointer}/${i}: ${JSON.stringify(item)}: ${result.reason}`);
  });
  return uniqueBy(out, (v) => JSON.stringify(v));
}

function roots(list: unknown, problems: string[]): { path: string; access: RootAccess }[] {
  if (!Array.isArray(list)) return [];
  const byPath = new Map<string, RootAccess>();
  list.forEach((item, i) => {
    const { path, access } = object(item);
    if (typeof path !== 'string' || (access !== 'read' && access !== 'read-write')) return;
    const checked = policyRoot(path);
    if (!checked.ok) {
      problems.push(`/filesystem/roots/${i}/path: ${JSON.stringify(path)}: ${checked.reason}`);
      return;
    }
    const earlier = byPath.get(checked.value);
    if (earlier !== undefined && earlier !== access) {
      problems.push(
        `/filesystem/roots/${i}/path: ${checked.value} is listed twice with different access`,
      );
    }
    byPath.set(checked.value, earlier ?? access);
  });
  return [...byPath].map(([path, access]) => ({ path, access }));
}

function limits(max: Json): Partial<Record<LimitName, number>> {
  const out: Partial<Record<LimitName, number>> = {};
  for (const name of LIMIT_NAMES) {
    const value = max[name];
    if (typeof value === 'number') out[name] = value;
  }
  return out;
}

const unique = <T>(list: T[]): T[] => [...new Set(list)];
const uniqueBy = <T>(list: T[], key: (v: T) => string): T[] => {
  const seen = new Set<string>();
  return list.filter((v) => !seen.has(key(v)) && seen.add(key(v)));
};

import type { HttpRule } from '@convergio/contracts';
import { cutMarked } from '../redact/cut-mark.js';
import { addressRefusal, type NetPolicy } from './address-class.js';
import { hostMatchesPattern, privateNameRefusal } from './host.js';
import { deniedHostRefusal } from './host-denial.js';
import { pathAmbiguity, pathMatchesPrefix } from './path.js';
import { reencodedPathRefusal } from './reencoded-path.js';
import { defaultPort, describeTarget, parseNetUrl, sameOrigin, type NetTarget } from './target.js';

/** The `net.http` grant of a manifest. */
export interface HttpGrant {
  rules: readonly HttpRule[];
}

/** A refusal; `code` tells a permission refusal from a redirect loop. */
export interface NetRefusal {
  allowed: false;
  code: 'permission_denied' | 'too_many_redirects';
  reason: string;
  target: string;
}

export type HttpDecision =
  { allowed: true; target: NetTarget; method: string; rule: HttpRule } | NetRefusal;

/** Redirect hops followed at most per request. */
export const MAX_REDIRECTS = 5;

/** Schemes a rule allows when it lists none: TLS only, so plain HTTP is an explicit choice. */
export const DEFAULT_HTTP_SCHEMES: readonly ('http' | 'https')[] = ['https'];

const refuse = (reason: string, target: string): NetRefusal => ({
  allowed: false,
  code: 'permission_denied',
  reason,
  target,
});

/**
 * The host part of every network decision: refuses private, loopback, link-local and
 * metadata targets named by IP literal or by a well-known name, unless the operator
 * allows private networks (some classes are never allowed, see addressRefusal), and
 * whatever the operator denies (`policy.denied`), whatever that setting.
 * Resolved names are checked again, address by address, with checkResolvedAddresses.
 */
export function targetHostRefusal(target: NetTarget, policy: NetPolicy): string | null {
  const denied = deniedHostRefusal(target.host, policy.denied);
  if (denied) return denied;
  if (target.host.kind === 'ip') return addressRefusal(target.host.address, policy);
  return policy.allowPrivateNetworks ? null : privateNameRefusal(target.host.name);
}

/**
 * May this plugin send `method` to `url` under its `net.http` grant? The URL is parsed
 * once; the returned target is what must be used to connect. A path that a second
 * percent-decoding would steer is refused under every rule (see reencodedPathRefusal); a
 * rule's `path_prefix` further refuses any ambiguity (see pathMatchesPrefix).
 */
export function decideHttpRequest(
  request: { url: string; method: string },
  grant: HttpGrant | undefined,
  policy: NetPolicy,
): HttpDecision {
  const shownUrl = cutMarked(request.url, 512);
  if (!grant || grant.rules.length === 0) return refuse('no net.http permission granted', shownUrl);
  const parsed = parseNetUrl(request.url, ['http', 'https']);
  if (!parsed.ok) return refuse(parsed.reason, shownUrl);
  const target = parsed.value;
  const shown = describeTarget(target);
  const method = request.method.toUpperCase();
  const hostRefusal = targetHostRefusal(target, policy);
  if (hostRefusal) return refuse(hostRefusal, shown);

  const sameHost = grant.rules.filter((rule) => hostMatchesPattern(target.host, rule.host));
  if (sameHost.length === 0) return refuse(`host ${target.host.name} is not allowed`, shown);
  const reencoded = reencodedPathRefusal(target.path);
  if (reencoded) return refuse(reencoded, shown);
  let reason = '';
  for (const rule of sameHost) {
    const mismatch = ruleMismatch(rule, target, method);
    if (mismatch === null) return { allowed: true, target, method, rule };
    reason ||= mismatch;
  }
  return refuse(reason, shown);
}

function ruleMismatch(rule: HttpRule, target: NetTarget, method: string): string | null {
  const schemes: readonly string[] = rule.schemes ?? DEFAULT_HTTP_SCHEMES;
  if (!schemes.includes(target.scheme))
    return `scheme ${target.scheme} is not allowed for ${target.host.name}`;
  const ports = rule.ports ?? [defaultPort(target.scheme)];
  if (!ports.includes(target.port))
    return `port ${target.port} is not allowed for ${target.host.name}`;
  if (!(rule.methods as readonly string[]).includes(method)) {
    return `method ${method} is not allowed for ${target.host.name}`;
  }
  if (rule.path_prefix !== undefined && !pathMatchesPrefix(target.path, rule.path_prefix)) {
    const ambiguity = pathAmbiguity(target.path);
    return ambiguity ?? `path ${target.path} is outside ${rule.path_prefix}`;
  }
  return null;
}

/** Where a redirect leads and how the request changes on the way. */
export type RedirectDecision =
  | { allowed: true; target: NetTarget; method: string; bodyDropped: boolean; crossOrigin: boolean }
  | NetRefusal;

/**
 * Decides one redirect hop: the `Location` is resolved against the current URL and the
 * new request goes through exactly the checks of the first one (rules, then addresses
 * once resolved). 303, and 301/302 after a POST, turn into a GET without body (as
 * browsers do); 307 and 308 keep method and body. `hops` is how many were already followed.
 */
export function decideRedirect(
  hop: { from: NetTarget; method: string; status: number; location: string; hops: number },
  grant: HttpGrant | undefined,
  policy: NetPolicy,
): RedirectDecision {
  const from = describeTarget(hop.from);
  if (hop.hops >= MAX_REDIRECTS) {
    return {
      allowed: false,
      code: 'too_many_redirects',
      reason: `more than ${MAX_REDIRECTS} redirects`,
      target: from,
    };
  }
  let next: string;
  try {
    next = new URL(hop.location, hop.from.href).href;
  } catch {
    return refuse('redirect location is not a valid URL', from);
  }
  const toGet =
    (hop.status === 303 && hop.method !== 'HEAD') ||
    ((hop.status === 301 || hop.status === 302) && hop.method === 'POST');
  const method = toGet ? 'GET' : hop.method;
  const decision = decideHttpRequest({ url: next, method }, grant, policy);
  if (!decision.allowed) return { ...decision, reason: `redirect refused: ${decision.reason}` };
  return {
    allowed: true,
    target: decision.target,
    method: decision.method,
    bodyDropped: toGet,
    crossOrigin: !sameOrigin(hop.from, decision.target),
  };
}

import { fail, succeed, type Outcome } from '@convergio/contracts';
import { normaliseHost, type NetHost } from './host.js';

export type NetScheme = 'http' | 'https' | 'ws' | 'wss';

const DEFAULT_PORTS: Record<NetScheme, number> = { http: 80, https: 443, ws: 80, wss: 443 };

/** The default port of a scheme. */
export function defaultPort(scheme: NetScheme): number {
  return DEFAULT_PORTS[scheme];
}

/**
 * A URL parsed once and reduced to what is checked and then used to connect: nothing
 * else of the plugin's text reaches the network, so checker and client cannot disagree.
 */
export interface NetTarget {
  scheme: NetScheme;
  host: NetHost;
  port: number;
  /** Path as serialised by the WHATWG parser (dot segments resolved, still percent-encoded). */
  path: string;
  /** Query string including `?`, or empty. */
  search: string;
  /** The URL rebuilt from the checked parts (normalised host, no userinfo, no fragment). */
  href: string;
}

const MAX_URL_LENGTH = 8192;

/** Parses a plugin-supplied URL with the WHATWG parser and refuses what must never be fetched. */
export function parseNetUrl(url: string, schemes: readonly NetScheme[]): Outcome<NetTarget> {
  if (url.length > MAX_URL_LENGTH) return fail('url is too long');
  // The WHATWG parser would turn a lone surrogate (invalid UTF-8 kept by the host-call decoder)
  // into U+FFFD: another URL than the one the plugin sent.
  if (/\p{Cs}/u.test(url))
    return fail('url is not well-formed Unicode (invalid UTF-8 or a lone surrogate)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return fail('url is not a valid absolute URL');
  }
  const scheme = parsed.protocol.slice(0, -1) as NetScheme;
  if (!schemes.includes(scheme)) return fail(`scheme ${scheme} is not supported here`);
  // `http://allowed.com@evil.com` and `http://user:pw@host`: credentials belong in headers.
  if (parsed.username !== '' || parsed.password !== '') {
    return fail('url must not contain userinfo (user@host)');
  }
  const host = normaliseHost(parsed.hostname);
  if (!host) return fail('url has an empty host');
  const port = parsed.port === '' ? DEFAULT_PORTS[scheme] : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return fail('url has an invalid port');
  const hostText = host.kind === 'ip' && host.address.family === 6 ? `[${host.name}]` : host.name;
  const portText = port === DEFAULT_PORTS[scheme] ? '' : `:${port}`;
  const href = `${scheme}://${hostText}${portText}${parsed.pathname}${parsed.search}`;
  // Percent-encoding and IDNA lengthen a URL up to 9 times and more: what is sent is held to the
  // limit of what is written (a redirect's Location already was), so a target has room on the
  // sandbox's bridge (ADR 0030).
  if (href.length > MAX_URL_LENGTH)
    return fail(`url is too long once encoded (more than ${MAX_URL_LENGTH} characters)`);
  return succeed({ scheme, host, port, path: parsed.pathname, search: parsed.search, href });
}

/** The `Host` header value for a target (port only when not the scheme's default). */
export function hostHeader(target: NetTarget): string {
  const host =
    target.host.kind === 'ip' && target.host.address.family === 6
      ? `[${target.host.name}]`
      : target.host.name;
  return target.port === DEFAULT_PORTS[target.scheme] ? host : `${host}:${target.port}`;
}

/**
 * Bytes of the target a request sends: its path and query in the request line and its `Host`
 * value, ASCII as parsed (percent-encoded, IDNA), where one character of the plugin's text may
 * have become 9 bytes.
 */
export function targetBytes(target: NetTarget): number {
  return target.path.length + target.search.length + hostHeader(target).length;
}

/** The target's text for denial records: the URL without query (queries may carry tokens). */
export function describeTarget(target: NetTarget): string {
  return target.href.slice(0, target.href.length - target.search.length);
}

/** Same origin in the browser's sense: scheme, host and port. */
export function sameOrigin(a: NetTarget, b: NetTarget): boolean {
  return a.scheme === b.scheme && a.host.name === b.host.name && a.port === b.port;
}

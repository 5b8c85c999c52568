import { cutMarked } from '../redact/cut-mark.js';
import type { NetPolicy } from './address-class.js';
import { hostMatchesPattern } from './host.js';
import type { NetRefusal } from './http-rules.js';
import { reencodedPathRefusal } from './reencoded-path.js';
import { targetHostRefusal } from './http-rules.js';
import {
  defaultPort,
  describeTarget,
  parseNetUrl,
  type NetScheme,
  type NetTarget,
} from './target.js';

/** The `net.websocket` grant of a manifest. */
export interface WebSocketGrant {
  hosts: readonly string[];
}

export type WebSocketDecision = { allowed: true; target: NetTarget } | NetRefusal;

/**
 * One `net.websocket.hosts` entry: `host`, `host:port`, `*.suffix`, optionally prefixed
 * with `ws://` or `wss://` (`[v6]:port` for IPv6 with a port). Without a scheme only
 * `wss` is allowed, so plaintext is an explicit choice; without a port only the scheme's
 * default port.
 */
export interface WebSocketHostEntry {
  scheme: 'ws' | 'wss';
  host: string;
  port: number;
}

/** Parses a `net.websocket.hosts` entry; null when malformed (a malformed entry grants nothing). */
export function parseWebSocketHostEntry(entry: string): WebSocketHostEntry | null {
  const match = /^(wss?):\/\/(.*)$/i.exec(entry.trim());
  const scheme = (match ? match[1].toLowerCase() : 'wss') as 'ws' | 'wss';
  const rest = match ? match[2] : entry.trim();
  let host = rest;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) return null;
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) return null;
      portText = after.slice(1);
    }
  } else if (rest.split(':').length === 2) {
    [host, portText] = rest.split(':') as [string, string];
  }
  if (host === '' || host.includes('/')) return null;
  if (portText === undefined) return { scheme, host, port: defaultPort(scheme) };
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return null;
  return { scheme, host, port };
}

/**
 * May this plugin open a WebSocket to `url` under its `net.websocket` grant? A path that a second
 * percent-decoding would steer is refused (see reencodedPathRefusal).
 */
export function decideWebSocket(
  url: string,
  grant: WebSocketGrant | undefined,
  policy: NetPolicy,
): WebSocketDecision {
  const shownUrl = cutMarked(url, 512);
  const refuse = (reason: string, target: string): NetRefusal => ({
    allowed: false,
    code: 'permission_denied',
    reason,
    target,
  });
  if (!grant || grant.hosts.length === 0)
    return refuse('no net.websocket permission granted', shownUrl);
  const parsed = parseNetUrl(url, ['ws', 'wss']);
  if (!parsed.ok) return refuse(parsed.reason, shownUrl);
  const target = parsed.value;
  const shown = describeTarget(target);
  const hostRefusal = targetHostRefusal(target, policy);
  if (hostRefusal) return refuse(hostRefusal, shown);
  const entries = grant.hosts
    .map(parseWebSocketHostEntry)
    .filter((e): e is WebSocketHostEntry => e !== null && hostMatchesPattern(target.host, e.host));
  if (entries.length === 0) return refuse(`host ${target.host.name} is not allowed`, shown);
  const scheme: NetScheme = target.scheme;
  if (!entries.some((e) => e.scheme === scheme))
    return refuse(`scheme ${scheme} is not allowed for ${target.host.name}`, shown);
  if (!entries.some((e) => e.scheme === scheme && e.port === target.port)) {
    return refuse(`port ${target.port} is not allowed for ${target.host.name}`, shown);
  }
  const reencoded = reencodedPathRefusal(target.path);
  if (reencoded) return refuse(reencoded, shown);
  return { allowed: true, target };
}

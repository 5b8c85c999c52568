import { formatIpAddress, parseIpAddress, type IpAddress } from './ip-address.js';

/** A host as the network decisions see it: a lowercase ASCII name, or an IP address. */
export type NetHost =
  { kind: 'name'; name: string } | { kind: 'ip'; name: string; address: IpAddress };

/**
 * Normalises a host the WHATWG URL parser already produced (lowercase, punycode, canonical
 * IPv4): drops the brackets of IPv6 and one trailing dot, and recognises IP literals by
 * parsing them to bytes. Returns null for an empty host.
 */
export function normaliseHost(hostname: string): NetHost | null {
  let host = hostname.toLowerCase();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '' || host.endsWith('.')) return null;
  const address = parseIpAddress(host);
  if (address) return { kind: 'ip', name: formatIpAddress(address), address };
  return { kind: 'name', name: host };
}

/**
 * Names that lead to the cloud metadata service or the local machine without any DNS
 * answer we could check (resolver search lists, /etc/hosts, mDNS). Refused like private
 * addresses. Single-label names are included because search domains turn `metadata`
 * or `kubernetes` into internal hosts.
 */
const METADATA_NAMES = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.azure.internal',
  'metadata.platformequinix.com',
  'metadata.packet.net',
]);
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain'];

/** Why a host NAME is private by itself (before any DNS answer), or null. */
export function privateNameRefusal(name: string): string | null {
  if (METADATA_NAMES.has(name)) return `host ${name} is a cloud metadata name`;
  if (name === 'localhost' || name === 'localhost.localdomain') return `host ${name} is loopback`;
  if (!name.includes('.')) return `host ${name} is a single-label (search-domain) name`;
  const suffix = LOCAL_SUFFIXES.find((s) => name.endsWith(s));
  return suffix ? `host ${name} is under the private ${suffix} domain` : null;
}

/**
 * Does a granted host pattern cover this host? A pattern is an exact host (names, IPv4 in
 * any form, IPv6 with or without brackets) or `*.suffix`, which matches strict subdomains
 * only: `*.example.com` covers `a.example.com` and `a.b.example.com`, never `example.com`
 * and never `evilexample.com`. IP hosts only match exact IP patterns.
 */
export function hostMatchesPattern(host: NetHost, pattern: string): boolean {
  const p = pattern.trim().toLowerCase();
  if (p.startsWith('*.')) {
    if (host.kind !== 'name') return false;
    const suffix = normaliseHost(toAsciiHost(p.slice(2)) ?? '');
    if (!suffix || suffix.kind !== 'name' || suffix.name.includes('*')) return false;
    return host.name.endsWith(`.${suffix.name}`);
  }
  if (p.includes('*')) return false;
  const exact = normaliseHost(toAsciiHost(p) ?? '');
  return exact !== null && exact.name === host.name;
}

/**
 * Runs a host as written in a manifest or policy through the same WHATWG URL parser as
 * requests (lower case, punycode, IPv4 forms; IPv6 gets brackets). Null when unparsable.
 */
export function toAsciiHost(pattern: string): string | null {
  const bracketed = pattern.includes(':') && !pattern.startsWith('[') ? `[${pattern}]` : pattern;
  try {
    const url = new URL(`http://${bracketed}/`);
    return url.hostname;
  } catch {
    return null;
  }
}

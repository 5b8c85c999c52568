import { deniedAddressRefusal, type NetDenials } from './address-class.js';
import type { NetHost } from './host.js';

/** Which operator list denies a host name, and the entry that matched. */
export interface NameDenial {
  list: 'hosts' | 'suffixes';
  entry: string;
}

/**
 * Does the operator deny this normalised host name (lower-case ASCII, no trailing dot)?
 * Suffixes compare whole labels: `internal` denies `internal` and `a.internal`, never
 * `evilinternal`.
 */
export function deniedName(name: string, denied: NetDenials | undefined): NameDenial | null {
  if (!denied) return null;
  if (denied.hosts.includes(name)) return { list: 'hosts', entry: name };
  const suffix = denied.suffixes.find((s) => name === s || name.endsWith(`.${s}`));
  return suffix === undefined ? null : { list: 'suffixes', entry: suffix };
}

/**
 * Why the operator denies this target host (a normalised NetHost, as parseNetUrl makes
 * it), or null: names against the denied hosts and suffixes, IP literals against the
 * denied hosts and ranges (embedded IPv4 included).
 */
export function deniedHostRefusal(host: NetHost, denied: NetDenials | undefined): string | null {
  if (host.kind === 'ip') return deniedAddressRefusal(host.address, denied);
  const match = deniedName(host.name, denied);
  if (!match) return null;
  return match.list === 'hosts'
    ? `host ${host.name} is denied by the operator`
    : `host ${host.name} is under the operator's denied domain ${match.entry}`;
}

import { cidrContains, type CidrRange } from './cidr.js';
import { formatIpAddress, type IpAddress } from './ip-address.js';

/**
 * What an address is, for SSRF purposes. `public` is the only class a plugin reaches by
 * default; `unspecified`, `multicast` and `broadcast` are never a legitimate TCP peer
 * (0.0.0.0 reaches the local host on Linux) and stay refused even for operators who allow
 * private networks.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared'
  | 'reserved'
  | 'unspecified'
  | 'multicast'
  | 'broadcast';

/** A classified address; `embedded` names the IPv4 address hidden in an IPv6 one (mapped, NAT64, 6to4...). */
export interface AddressClassification {
  class: AddressClass;
  embedded?: string;
}

type Range = readonly [prefix: readonly number[], bits: number, cls: AddressClass];

// Special-purpose registries (RFC 6890 and successors); the first matching range wins.
const IPV4_RANGES: readonly Range[] = [
  [[255, 255, 255, 255], 32, 'broadcast'],
  [[0], 8, 'unspecified'],
  [[10], 8, 'private'],
  [[100, 64], 10, 'shared'], // CGNAT; also Alibaba Cloud metadata 100.100.100.200
  [[127], 8, 'loopback'],
  [[169, 254], 16, 'link-local'], // includes the 169.254.169.254 metadata service
  [[172, 16], 12, 'private'],
  [[192, 0, 0], 24, 'reserved'], // IETF assignments; Oracle Cloud metadata 192.0.0.192
  [[192, 0, 2], 24, 'reserved'],
  [[192, 88, 99], 24, 'reserved'],
  [[192, 168], 16, 'private'],
  [[198, 18], 15, 'reserved'],
  [[198, 51, 100], 24, 'reserved'],
  [[203, 0, 113], 24, 'reserved'],
  [[224], 4, 'multicast'],
  [[240], 4, 'reserved'],
];

const IPV6_RANGES: readonly Range[] = [
  [[0x01, 0x00, 0, 0, 0, 0, 0, 0], 64, 'reserved'], // discard-only
  [[0x20, 0x01, 0x00, 0x00], 32, 'reserved'], // Teredo: tunnels to an arbitrary IPv4 peer
  [[0x20, 0x01, 0x0d, 0xb8], 32, 'reserved'], // documentation
  [[0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48, 'private'], // local-use NAT64
  [[0xfc], 7, 'private'], // unique local (AWS IMDS IPv6 fd00:ec2::254)
  [[0xfe, 0x80], 10, 'link-local'],
  [[0xfe, 0xc0], 10, 'private'], // deprecated site-local
  [[0xff], 8, 'multicast'],
];

function inRange(bytes: readonly number[], prefix: readonly number[], bits: number): boolean {
  for (let bit = 0; bit < bits; bit += 8) {
    const mask = bits - bit >= 8 ? 0xff : (0xff << (8 - (bits - bit))) & 0xff;
    if ((bytes[bit / 8] & mask) !== ((prefix[bit / 8] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyByRanges(bytes: readonly number[], ranges: readonly Range[]): AddressClass {
  return ranges.find(([prefix, bits]) => inRange(bytes, prefix, bits))?.[2] ?? 'public';
}

const zeroes = (bytes: readonly number[], from: number, to: number) =>
  bytes.slice(from, to).every((b) => b === 0);

/**
 * The IPv4 address an IPv6 address carries and hands traffic to (mapped, SIIT,
 * IPv4-compatible, NAT64, 6to4), or null; null for an IPv4 address.
 */
export function embeddedIpv4(address: IpAddress): IpAddress | null {
  if (address.family === 4) return null;
  const { bytes } = address;
  const v4 = (start: number): IpAddress => ({ family: 4, bytes: bytes.slice(start, start + 4) });
  // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT translated)
  if (zeroes(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(12);
  if (zeroes(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zeroes(bytes, 10, 12))
    return v4(12);
  // ::a.b.c.d (deprecated IPv4-compatible), except :: and ::1 themselves
  if (zeroes(bytes, 0, 12) && !zeroes(bytes, 12, 15)) return v4(12);
  // 64:ff9b::a.b.c.d (well-known NAT64 prefix)
  if (inRange(bytes, [0x00, 0x64, 0xff, 0x9b], 32) && zeroes(bytes, 4, 12)) return v4(12);
  // 2002:a.b.c.d::/48 (6to4)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2);
  return null;
}

/** Classifies an address by its bytes, looking through IPv6 forms that embed an IPv4 address. */
export function classifyAddress(address: IpAddress): AddressClassification {
  const { bytes } = address;
  if (address.family === 4) return { class: classifyByRanges(bytes, IPV4_RANGES) };
  if (zeroes(bytes, 0, 16)) return { class: 'unspecified' };
  if (zeroes(bytes, 0, 15) && bytes[15] === 1) return { class: 'loopback' };
  const inner = embeddedIpv4(address);
  if (inner)
    return { class: classifyByRanges(inner.bytes, IPV4_RANGES), embedded: formatIpAddress(inner) };
  const cls = classifyByRanges(bytes, IPV6_RANGES);
  return { class: cls === 'public' && bytes[0] === 0 ? 'reserved' : cls }; // rest of ::/8 is reserved
}

const NEVER_ALLOWED: readonly AddressClass[] = ['unspecified', 'multicast', 'broadcast'];

/**
 * The operator's network denials (grant policy `network.*`), normalised: lower-case ASCII
 * names without trailing dot, canonical IP texts, parsed ranges. Plain JSON.
 */
export interface NetDenials {
  /** Exact host names or canonical IP texts. */
  hosts: readonly string[];
  /** A name equal to a suffix or ending in `.<suffix>` is denied. */
  suffixes: readonly string[];
  /** Denied address ranges, checked on IP literals and on every resolved address. */
  cidrs: readonly CidrRange[];
}

/** Operator settings the network decisions read. */
export interface NetPolicy {
  allowPrivateNetworks: boolean;
  /** The operator's denials; absent means none (see netPolicyFor). */
  denied?: NetDenials;
}

/**
 * The forms an address is reached under, for denial lists: itself, the IPv4 address an
 * IPv6 one embeds, and the IPv4-mapped IPv6 form of an IPv4 one (so `::ffff:0:0/96`
 * denies IPv4 as well).
 */
function addressForms(address: IpAddress): IpAddress[] {
  if (address.family === 4) {
    return [
      address,
      { family: 6, bytes: [...Array<number>(10).fill(0), 0xff, 0xff, ...address.bytes] },
    ];
  }
  const inner = embeddedIpv4(address);
  return inner ? [address, inner] : [address];
}

/** Which operator entry denies an address: the list, the entry, and the form it matched in. */
export interface AddressDenial {
  list: 'hosts' | 'cidrs';
  entry: string;
  form: IpAddress;
}

/** The operator entry that denies this address in any of its forms, or null. */
export function deniedAddress(
  address: IpAddress,
  denied: NetDenials | undefined,
): AddressDenial | null {
  if (!denied) return null;
  for (const form of addressForms(address)) {
    const text = formatIpAddress(form);
    if (denied.hosts.includes(text)) return { list: 'hosts', entry: text, form };
    const range = denied.cidrs.find((r) => cidrContains(r, form));
    if (range) return { list: 'cidrs', entry: range.cidr, form };
  }
  return null;
}

/** Why the operator denies this address (a denied host IP or range, in any form), or null. */
export function deniedAddressRefusal(
  address: IpAddress,
  denied: NetDenials | undefined,
): string | null {
  const match = deniedAddress(address, denied);
  if (!match) return null;
  const via = match.form === address ? '' : ` (as ${formatIpAddress(match.form)})`;
  const text = formatIpAddress(address);
  return match.list === 'hosts'
    ? `address ${text}${via} is denied by the operator`
    : `address ${text}${via} is in the operator's denied range ${match.entry}`;
}

/**
 * May a plugin connect to this address? Returns null when it may, else the reason.
 * Every class but `public` needs `allowPrivateNetworks`; some are never allowed; the
 * operator's denied addresses and ranges are refused whatever the class and setting.
 */
export function addressRefusal(address: IpAddress, policy: NetPolicy): string | null {
  const { class: cls, embedded } = classifyAddress(address);
  const never = NEVER_ALLOWED.includes(cls);
  if (!never) {
    const denied = deniedAddressRefusal(address, policy.denied);
    if (denied) return denied;
  }
  if (cls === 'public') return null;
  if (!never && policy.allowPrivateNetworks) return null;
  const text = formatIpAddress(address);
  const via = embedded ? ` (embeds ${embedded})` : '';
  return `address ${text}${via} is ${cls}`;
}

import { fail, succeed, type Outcome } from '@convergio/contracts';
import { formatIpAddress, parseIpv4, parseIpv6, type IpAddress } from './ip-address.js';

/**
 * An address range as the operator wrote it (`cidr`, canonical text) and as bytes. Plain
 * JSON, so it crosses into worker threads inside a NetPolicy.
 */
export interface CidrRange {
  /** Canonical text: `10.0.0.0/8`, `fd00::/8`. */
  cidr: string;
  family: 4 | 6;
  /** Network address: 4 bytes for IPv4, 16 for IPv6. */
  bytes: readonly number[];
  /** Prefix length: 0–32 for IPv4, 0–128 for IPv6. */
  bits: number;
}

/**
 * Parses `address/prefix` into a range, or says why the text is not one. Strict on purpose, because an operator's typo here silently
 * denies the wrong range: IPv4 only as a dotted quad without leading zeros (`010.0.0.0`
 * is octal to inet_aton), the prefix is required (`/32` for one address), and host bits
 * must be zero (`10.0.0.1/8` is refused with the network address it probably meant).
 */
export function parseCidr(text: string): Outcome<CidrRange> {
  const match = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!match) return fail(`"${text}" is not address/prefix (use /32 or /128 for one address)`);
  const [, addressText, bitsText] = match as unknown as [string, string, string];
  const address = parseStrictAddress(addressText);
  if (!address) return fail(`"${text}" does not start with an IP address`);
  const bits = Number(bitsText);
  const maxBits = address.family === 4 ? 32 : 128;
  if (bits > maxBits || (bitsText.length > 1 && bitsText.startsWith('0'))) {
    return fail(`"${text}" has an invalid prefix (0 to ${maxBits})`);
  }
  const network = maskBytes(address.bytes, bits);
  const cidr = `${formatIpAddress({ family: address.family, bytes: network })}/${bits}`;
  if (network.some((b, i) => b !== address.bytes[i])) {
    return fail(`"${text}" has host bits set (did you mean ${cidr}?)`);
  }
  return succeed({ cidr, family: address.family, bytes: network, bits });
}

function parseStrictAddress(text: string): IpAddress | null {
  if (text.includes(':')) return parseIpv6(text.startsWith('[') ? '' : text);
  if (!/^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/.test(text)) return null;
  return parseIpv4(text);
}

function maskBytes(bytes: readonly number[], bits: number): number[] {
  return bytes.map((byte, i) => {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    return byte & ((0xff << (8 - keep)) & 0xff);
  });
}

/** True when the address (same family only) lies inside the range. */
export function cidrContains(range: CidrRange, address: IpAddress): boolean {
  if (range.family !== address.family) return false;
  const masked = maskBytes(address.bytes, range.bits);
  return masked.every((b, i) => b === range.bytes[i]);
}

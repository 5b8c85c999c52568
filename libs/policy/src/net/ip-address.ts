import { isIPv6 } from 'node:net';

/** An IP address reduced to its bytes: 4 for IPv4, 16 for IPv6. Decisions are taken on these, never on text. */
export interface IpAddress {
  family: 4 | 6;
  bytes: readonly number[];
}

/**
 * Parses an IPv4 address in every form inet_aton and the WHATWG URL parser accept:
 * 1 to 4 parts, each decimal, octal (leading 0) or hex (0x), the last part filling the
 * remaining bytes (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`, `127.000.000.001`).
 * One trailing dot is tolerated, as resolvers do. Returns null when it is not an IPv4 address.
 */
export function parseIpv4(text: string): IpAddress | null {
  const trimmed = text.endsWith('.') ? text.slice(0, -1) : text;
  const parts = trimmed.split('.');
  if (parts.length === 0 || parts.length > 4) return null;
  const numbers: number[] = [];
  for (const part of parts) {
    const n = parseIpv4Part(part);
    if (n === null) return null;
    numbers.push(n);
  }
  const last = numbers[numbers.length - 1];
  const leading = numbers.slice(0, -1);
  if (leading.some((n) => n > 255)) return null;
  if (last >= 256 ** (5 - numbers.length)) return null;
  let value = last;
  leading.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return {
    family: 4,
    bytes: [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255],
  };
}

function parseIpv4Part(part: string): number | null {
  let digits = part;
  let radix = 10;
  if (/^0x/i.test(digits)) {
    digits = digits.slice(2);
    radix = 16;
    if (digits === '') return 0; // "0x" is zero for both inet_aton and WHATWG
  } else if (digits.length > 1 && digits.startsWith('0')) {
    digits = digits.slice(1);
    radix = 8;
  }
  const pattern = radix === 16 ? /^[0-9a-f]+$/i : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!pattern.test(digits)) return null;
  const n = parseInt(digits, radix);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Parses an IPv6 address, with or without brackets, with or without a zone id
 * (`fe80::1%eth0`: the zone is dropped, the address still classifies as link-local),
 * with an embedded dotted IPv4 tail (`::ffff:127.0.0.1`). Returns null otherwise.
 */
export function parseIpv6(text: string): IpAddress | null {
  let s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!isIPv6(s)) return null;
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseStrictDottedQuad(s.slice(lastColon + 1));
    if (!v4) return null;
    tail = [...v4.bytes];
    s = s.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const zeros = rest === undefined ? 0 : 8 - left.length - right.length;
  const words = [...left, ...Array<number>(zeros).fill(0), ...right];
  if (words.length !== 8) return null;
  const bytes = words.flatMap((w) => [w >> 8, w & 255]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return { family: 6, bytes };
}

function parseStrictDottedQuad(text: string): IpAddress | null {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) return null;
  const bytes = text.split('.').map(Number);
  return bytes.every((b) => b <= 255) ? { family: 4, bytes } : null;
}

/** Parses any textual IP address (see parseIpv4 and parseIpv6); null for a host name. */
export function parseIpAddress(text: string): IpAddress | null {
  return parseIpv6(text) ?? parseIpv4(text);
}

/** The canonical text of an address: dotted quad, or compressed lowercase IPv6 without brackets. */
export function formatIpAddress(address: IpAddress): string {
  const b = address.bytes;
  if (address.family === 4) return b.join('.');
  const words = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  // RFC 5952: compress the longest run (of at least two) of zero words.
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = words.map((w) => w.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

import { BlockList, isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { ConfigError } from '@convergio/config';
import { RetryLaterError } from '../http/retry-later.js';

/** How many failed authentications a client address may make (see {@link AuthFailureLimiter}). */
export interface AuthFailureSettings {
  /** Failures an address may make at once (the bucket's size). */
  burst: number;
  /** Failures an address is allowed again per minute (the bucket's refill). */
  perMinute: number;
  /** Addresses tracked at most; the one that failed least recently is forgotten first. */
  maxAddresses: number;
  /** Proxies whose X-Forwarded-For is believed (addresses and CIDR ranges); none by default. */
  trustedProxies: BlockList | null;
}

interface Bucket {
  tokens: number;
  /** performance.now() when `tokens` was counted. */
  at: number;
}

/**
 * Token buckets of failed authentications per client address, in this replica's memory: an
 * address starts with `burst` failures and earns `perMinute` back per minute; while it has none
 * left, every request of it that needs a key is refused (429 `rate_limited` with Retry-After)
 * before the key is looked at, valid keys included (telling one needs the database). Only
 * failures count, so an address that authenticates does not spend. At most `maxAddresses`
 * addresses are kept, least recently failed forgotten first (a Map in failure order), so the
 * table's memory is bounded; an address whose bucket has refilled is dropped when next seen.
 */
export class AuthFailureLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    private readonly settings: AuthFailureSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.perMs = settings.perMinute / 60_000;
  }

  /** Throws RetryLaterError (429 `rate_limited`) when `address` has no failure left. */
  check(address: string): void {
    const tokens = this.tokens(address);
    if (tokens >= 1) return;
    throw new RetryLaterError(
      'rate_limited',
      `too many failed authentications from ${address}: at most ${this.settings.burst} at once and ${this.settings.perMinute} a minute (GATEWAY_AUTH_FAILURE_BURST, GATEWAY_AUTH_FAILURES_PER_MINUTE); retry after the Retry-After header's seconds`,
      (1 - tokens) / this.perMs,
    );
  }

  /** Spends one failure of `address`. */
  fail(address: string): void {
    const tokens = this.tokens(address);
    this.buckets.delete(address);
    this.buckets.set(address, { tokens: Math.max(0, tokens - 1), at: this.now() });
    if (this.buckets.size > this.settings.maxAddresses)
      this.buckets.delete(this.buckets.keys().next().value as string);
  }

  /** Addresses tracked now. */
  get size(): number {
    return this.buckets.size;
  }

  /** The failures `address` has left now; a full bucket is forgotten. */
  private tokens(address: string): number {
    const bucket = this.buckets.get(address);
    if (!bucket) return this.settings.burst;
    const tokens = Math.min(
      this.settings.burst,
      bucket.tokens + (this.now() - bucket.at) * this.perMs,
    );
    if (tokens >= this.settings.burst) this.buckets.delete(address);
    return tokens;
  }

  /**
   * The client's address: the socket's, unless that is a trusted proxy; then X-Forwarded-For is
   * read from its right end, past the trusted proxies, and the first other address is the
   * client's (what the nearest untrusted hop connected from; the left of the header is the
   * client's to write).
   */
  clientAddress(request: FastifyRequest): string {
    let address = request.raw.socket.remoteAddress ?? 'unknown';
    const trusted = this.settings.trustedProxies;
    const header = request.headers['x-forwarded-for'];
    if (!trusted || !header) return address;
    const hops = (Array.isArray(header) ? header.join(',') : header)
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h.length > 0);
    while (isTrusted(trusted, address)) {
      const next = hops.pop();
      if (next === undefined) break;
      address = next;
    }
    return address;
  }
}

function isTrusted(list: BlockList, address: string): boolean {
  const plain =
    address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The trusted proxies of GATEWAY_TRUSTED_PROXIES (comma-separated addresses and CIDR ranges),
 * or null when it is empty. Throws ConfigError naming the variable for an entry that is neither.
 */
export function trustedProxiesOf(setting: string): BlockList | null {
  const entries = setting
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  if (entries.length === 0) return null;
  const list = new BlockList();
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : -1;
    if (family === 0 || rest.length > 0 || bits < 0 || bits > max)
      throw new ConfigError([
        {
          variable: 'GATEWAY_TRUSTED_PROXIES',
          expected: 'comma-separated IP addresses or CIDR ranges (10.0.0.0/8, ::1)',
          received: JSON.stringify(entry),
        },
      ]);
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

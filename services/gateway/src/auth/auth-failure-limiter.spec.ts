import type { FastifyRequest } from 'fastify';
import { ConfigError } from '@convergio/config';
import { RetryLaterError } from '../http/retry-later.js';
import { AuthFailureLimiter, trustedProxiesOf } from './auth-failure-limiter.js';

function limiter(o: { burst?: number; perMinute?: number; maxAddresses?: number } = {}) {
  let now = 0;
  const l = new AuthFailureLimiter(
    {
      burst: o.burst ?? 3,
      perMinute: o.perMinute ?? 60,
      maxAddresses: o.maxAddresses ?? 100,
      trustedProxies: null,
    },
    () => now,
  );
  return { l, advance: (ms: number) => (now += ms) };
}

const refusal = (l: AuthFailureLimiter, address: string) => {
  try {
    l.check(address);
    return undefined;
  } catch (error) {
    return error as RetryLaterError;
  }
};

const request = (remoteAddress: string, forwardedFor?: string) =>
  ({
    raw: { socket: { remoteAddress } },
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  }) as unknown as FastifyRequest;

describe('AuthFailureLimiter', () => {
  it('lets an address fail `burst` times, then refuses it 429 rate_limited with the seconds to wait', () => {
    const { l } = limiter({ burst: 3, perMinute: 30 });
    for (let i = 0; i < 3; i++) {
      expect(refusal(l, '192.0.2.1')).toBeUndefined();
      l.fail('192.0.2.1');
    }
    const refused = refusal(l, '192.0.2.1');
    expect(refused).toBeInstanceOf(RetryLaterError);
    expect(refused).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 2 });
    expect(refused?.message).toContain('GATEWAY_AUTH_FAILURE_BURST');
    // Another address has its own bucket.
    expect(refusal(l, '192.0.2.2')).toBeUndefined();
  });

  it('gives failures back at perMinute, and forgets an address once its bucket is full again', () => {
    const { l, advance } = limiter({ burst: 2, perMinute: 60 });
    l.fail('a');
    l.fail('a');
    expect(refusal(l, 'a')).toBeDefined();
    advance(999);
    expect(refusal(l, 'a')).toBeDefined();
    advance(1);
    expect(refusal(l, 'a')).toBeUndefined();
    expect(l.size).toBe(1);
    advance(1000);
    expect(refusal(l, 'a')).toBeUndefined();
    expect(l.size).toBe(0);
  });

  it('keeps at most maxAddresses, forgetting the one that failed least recently', () => {
    const { l } = limiter({ burst: 1, maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) l.fail(`10.0.${i >> 8}.${i & 255}`);
    expect(l.size).toBe(100);
    expect(refusal(l, '10.0.3.231')).toBeDefined();
    expect(refusal(l, '10.0.0.0')).toBeUndefined();
  });

  it("takes the socket's address and ignores X-Forwarded-For unless the socket is a trusted proxy", () => {
    const { l } = limiter();
    expect(l.clientAddress(request('198.51.100.7', '203.0.113.9'))).toBe('198.51.100.7');
    const behind = new AuthFailureLimiter({
      burst: 1,
      perMinute: 1,
      maxAddresses: 100,
      trustedProxies: trustedProxiesOf('10.0.0.0/8, ::1'),
    });
    // The rightmost address that is not a trusted proxy; what the client wrote to the left is not believed.
    expect(behind.clientAddress(request('10.1.2.3', '1.1.1.1, 203.0.113.9, 10.0.0.5'))).toBe(
      '203.0.113.9',
    );
    expect(behind.clientAddress(request('::ffff:10.1.2.3', '203.0.113.9'))).toBe('203.0.113.9');
    expect(behind.clientAddress(request('::1'))).toBe('::1');
    expect(behind.clientAddress(request('198.51.100.7', '203.0.113.9'))).toBe('198.51.100.7');
  });

  it.each(['10.0.0.0/33', 'example.com', '10.0.0.1/', '::1/129', '10.0.0.0/8/1'])(
    'refuses GATEWAY_TRUSTED_PROXIES=%s at boot, naming the variable',
    (setting) => {
      expect(() => trustedProxiesOf(setting)).toThrow(ConfigError);
      expect(() => trustedProxiesOf(setting)).toThrow(/GATEWAY_TRUSTED_PROXIES/);
    },
  );

  it('trusts no proxy for an empty setting', () => {
    expect(trustedProxiesOf('')).toBeNull();
    expect(trustedProxiesOf(' , ')).toBeNull();
  });
});

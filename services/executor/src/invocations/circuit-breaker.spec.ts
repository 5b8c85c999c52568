import { pluginVersionKey, type PluginVersionKey } from '@convergio/contracts';
import { CircuitBreaker, PROBE_RETRY_MS, type BreakerTicket } from './circuit-breaker.js';

const p1 = pluginVersionKey('p', '1.0.0');
const q1 = pluginVersionKey('q', '1.0.0');

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () =>
    new CircuitBreaker({ threshold: 3, baseBackoffMs: 1000, maxBackoffMs: 5000 }, () => now);
  beforeEach(() => (now = 0));

  /** Admits a call, which must be let through. */
  function admit(b: CircuitBreaker, key: PluginVersionKey = p1): BreakerTicket {
    const gate = b.admit(key);
    if (!gate.allowed) throw new Error(`refused for ${gate.retryAfterMs} ms`);
    return gate.ticket;
  }
  const crash = (b: CircuitBreaker, key: PluginVersionKey = p1) => b.crashed(admit(b, key));
  const succeed = (b: CircuitBreaker, key: PluginVersionKey = p1) => b.succeeded(admit(b, key));

  it('lets calls through until a plugin has crashed threshold times', () => {
    const b = breaker();
    expect(crash(b)).toBeUndefined();
    expect(crash(b)).toBeUndefined();
    expect(b.admit(p1).allowed).toBe(true);
    expect(crash(b)).toBe(1000);
    expect(b.admit(p1)).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it('opens on crashes mixed with successes: 2 crashes and 1 success, repeated', () => {
    const b = breaker();
    // Window of 6 calls, opens at 3 crashes in it.
    expect(crash(b)).toBeUndefined();
    expect(crash(b)).toBeUndefined();
    succeed(b);
    expect(crash(b)).toBe(1000);
    expect(b.admit(p1).allowed).toBe(false);
  });

  it('does not open for crashes spread thinner than threshold per window', () => {
    const b = breaker();
    // One crash in three calls: never three crashes among six calls.
    for (let i = 0; i < 100; i++) {
      expect(crash(b)).toBeUndefined();
      succeed(b);
      succeed(b);
    }
    expect(b.admit(p1).allowed).toBe(true);
  });

  it('counts a burst of concurrent crashes as one opening', () => {
    const b = breaker();
    // One batch of 100 calls, all admitted before any crashes.
    const tickets = Array.from({ length: 101 }, () => admit(b));
    const pauses = tickets.slice(1).map((t) => b.crashed(t));
    expect(pauses.filter((p) => p !== undefined)).toEqual([1000]);
    expect(b.admit(p1)).toEqual({ allowed: false, retryAfterMs: 1000 });
    // A call of the same burst that succeeds does not close it either.
    b.succeeded(tickets[0]);
    expect(b.admit(p1)).toEqual({ allowed: false, retryAfterMs: 1000 });
    now = 1000;
    expect(crash(b)).toBe(2000);
  });

  it('lets one probe through after the pause: a crash opens it for twice as long, capped', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) crash(b);
    now = 1000;
    const probe = admit(b);
    expect(probe.probe).toBe(true);
    expect(b.admit(p1)).toEqual({ allowed: false, retryAfterMs: PROBE_RETRY_MS });
    expect(b.crashed(probe)).toBe(2000);
    now = 3000;
    expect(crash(b)).toBe(4000);
    now = 7000;
    expect(crash(b)).toBe(5000);
    now = 12_000;
    expect(crash(b)).toBe(5000);
  });

  it('closes on a successful probe, and doubles the next pause until a healthy window', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) crash(b);
    now = 1000;
    succeed(b); // the probe
    expect(admit(b).probe).toBe(false);
    for (let i = 0; i < 3; i++) crash(b);
    expect(b.admit(p1)).toEqual({ allowed: false, retryAfterMs: 2000 });
    now = 3000;
    succeed(b);
    // A full window (6 calls) without opening forgives the openings.
    for (let i = 0; i < 6; i++) succeed(b);
    for (let i = 0; i < 2; i++) crash(b);
    expect(crash(b)).toBe(1000);
  });

  it('frees the probe when its call settles without an outcome', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) crash(b);
    now = 1000;
    const probe = admit(b);
    b.abandoned(probe);
    b.abandoned(probe);
    expect(admit(b).probe).toBe(true);
  });

  it('settles a ticket once', () => {
    const b = breaker();
    const t = admit(b);
    expect(b.crashed(t)).toBeUndefined();
    expect(b.crashed(t)).toBeUndefined();
    expect(b.crashed(t)).toBeUndefined();
    expect(b.admit(p1).allowed).toBe(true);
  });

  it('says whether the circuit opened since a call was admitted', () => {
    const b = breaker();
    const waiting = admit(b);
    expect(b.openedSince(waiting)).toEqual({ opened: false });
    for (let i = 0; i < 3; i++) crash(b);
    expect(b.openedSince(waiting)).toEqual({ opened: true, retryAfterMs: 1000 });
  });

  it('keeps plugins apart', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) crash(b, q1);
    expect(b.admit(p1).allowed).toBe(true);
    expect(b.admit(q1).allowed).toBe(false);
  });
});

import { pluginVersionKey } from '@convergio/contracts';
import { CircuitBreaker } from './circuit-breaker.js';

const p1 = pluginVersionKey('p', '1.0.0');
const q1 = pluginVersionKey('q', '1.0.0');

describe('CircuitBreaker', () => {
  let now = 0;
  const breaker = () =>
    new CircuitBreaker({ threshold: 3, baseBackoffMs: 1000, maxBackoffMs: 5000 }, () => now);
  beforeEach(() => (now = 0));

  it('lets calls through until a plugin has crashed threshold times in a row', () => {
    const b = breaker();
    expect(b.crashed(p1)).toBeUndefined();
    expect(b.crashed(p1)).toBeUndefined();
    expect(b.check(p1)).toEqual({ allowed: true });
    expect(b.crashed(p1)).toBe(1000);
    expect(b.check(p1)).toEqual({ allowed: false, retryAfterMs: 1000 });
  });

  it('opens again after the pause, for twice as long, capped', () => {
    const b = breaker();
    for (let i = 0; i < 3; i++) b.crashed(p1);
    now = 1000;
    expect(b.check(p1)).toEqual({ allowed: true });
    for (let i = 0; i < 3; i++) b.crashed(p1);
    expect(b.check(p1)).toEqual({ allowed: false, retryAfterMs: 2000 });
    now = 3000;
    for (let i = 0; i < 3; i++) b.crashed(p1);
    now = 7000;
    for (let i = 0; i < 3; i++) b.crashed(p1);
    expect(b.check(p1)).toEqual({ allowed: false, retryAfterMs: 5000 });
  });

  it('forgets crashes after a successful call, and keeps plugins apart', () => {
    const b = breaker();
    b.crashed(p1);
    b.crashed(p1);
    b.succeeded(p1);
    expect(b.crashed(p1)).toBeUndefined();
    for (let i = 0; i < 3; i++) b.crashed(q1);
    expect(b.check(p1)).toEqual({ allowed: true });
    expect(b.check(q1).allowed).toBe(false);
  });
});

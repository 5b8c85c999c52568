import type { PluginVersionKey } from '@convergio/contracts';

/** When a plugin that keeps crashing is stopped, and for how long. */
export interface BreakerSettings {
  /** Consecutive crashes that open the circuit. */
  threshold: number;
  /** First pause; each re-opening doubles it, up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

interface State {
  crashes: number;
  openings: number;
  openUntil: number;
}

/** The circuit's answer for a call. */
export type BreakerDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Per plugin version: after `threshold` crashes in a row the circuit opens and calls are
 * refused for a backoff that doubles each time it re-opens; one successful call closes it.
 */
export class CircuitBreaker {
  private readonly states = new Map<PluginVersionKey, State>();

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {}

  check(key: PluginVersionKey): BreakerDecision {
    const s = this.states.get(key);
    const wait = s ? s.openUntil - this.now() : 0;
    return wait > 0 ? { allowed: false, retryAfterMs: wait } : { allowed: true };
  }

  succeeded(key: PluginVersionKey): void {
    this.states.delete(key);
  }

  /** Records a crash; returns the pause in ms when this crash opened the circuit. */
  crashed(key: PluginVersionKey): number | undefined {
    const s = this.states.get(key) ?? { crashes: 0, openings: 0, openUntil: 0 };
    s.crashes++;
    this.states.set(key, s);
    if (s.crashes < this.settings.threshold) return undefined;
    const backoff = Math.min(
      this.settings.maxBackoffMs,
      this.settings.baseBackoffMs * 2 ** s.openings,
    );
    s.openings++;
    s.crashes = 0;
    s.openUntil = this.now() + backoff;
    return backoff;
  }
}

import type { PluginVersionKey } from '@convergio/contracts';

/** When a plugin that keeps crashing is stopped, and for how long. */
export interface BreakerSettings {
  /** Crashes among the last `2 × threshold` calls that open the circuit (at least 1). */
  threshold: number;
  /** First pause, ms; each opening after another without a healthy window between doubles it, up to `maxBackoffMs`. */
  baseBackoffMs: number;
  maxBackoffMs: number;
}

/** Open, its pause not over: everything is refused. */
const OPEN = 0;
/** Its pause over: one call at a time runs as a probe, whose outcome closes or opens it again. */
const HALF_OPEN = 1;
/** Calls run; their outcomes fill the window. */
const CLOSED = 2;

interface State {
  mode: typeof OPEN | typeof HALF_OPEN | typeof CLOSED;
  /** The outcomes of the last calls since the circuit last closed, 1 for a crash, as a ring. */
  window: Uint8Array;
  /** Outcomes recorded since the circuit last closed (the ring holds the last `window.length`). */
  calls: number;
  crashes: number;
  /** Openings since the plugin last ran a full window of calls without opening: the backoff's exponent. */
  openings: number;
  /** Bumped at each opening: a call admitted before it is not counted after it. */
  generation: number;
  openUntil: number;
  probing: boolean;
}

/**
 * One admitted call, for its outcome to be recorded against the circuit as it was when the call
 * was admitted. Settle it exactly once (a second settlement is ignored).
 */
export interface BreakerTicket {
  readonly key: PluginVersionKey;
  /** The circuit's generation at admission; outcomes of calls admitted before an opening are not counted. */
  readonly generation: number;
  /** Whether this call is the one probe a half-open circuit lets through. */
  readonly probe: boolean;
  settled: boolean;
}

/** The circuit's answer for a call: a ticket to settle, or how long to wait (ms). */
export type BreakerDecision =
  { allowed: true; ticket: BreakerTicket } | { allowed: false; retryAfterMs: number };

/**
 * How long a call refused while a probe runs is told to wait, ms: the probe's outcome is not
 * known in advance, so a short retry.
 */
export const PROBE_RETRY_MS = 1000;

/**
 * Per plugin version, a circuit breaker over a sliding window of the last `2 × threshold` calls:
 * the circuit opens once `threshold` of them crashed (so at least half), whatever successes are
 * mixed in; it stays open for a backoff, then lets one probe call through (half-open): a crash
 * opens it again, anything else closes it with an empty window. Each opening doubles the next
 * backoff (up to `maxBackoffMs`) until the plugin runs a full window of calls after closing
 * without opening again. A call admitted before an opening is not counted after it: a burst of
 * concurrent crashes (one batch) opens the circuit once, however many of its calls crash.
 * Nothing is kept for a version without a crash in its window and no recent opening.
 */
export class CircuitBreaker {
  private readonly states = new Map<PluginVersionKey, State>();
  private readonly windowSize: number;

  constructor(
    private readonly settings: BreakerSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.windowSize = 2 * Math.max(1, settings.threshold);
  }

  /** Admits a call or refuses it while the circuit is open or its probe runs. */
  admit(key: PluginVersionKey): BreakerDecision {
    const s = this.states.get(key);
    if (!s) return { allowed: true, ticket: { key, generation: 0, probe: false, settled: false } };
    if (s.mode === OPEN) {
      const wait = s.openUntil - this.now();
      if (wait > 0) return { allowed: false, retryAfterMs: wait };
      s.mode = HALF_OPEN;
    }
    if (s.mode === HALF_OPEN) {
      if (s.probing) return { allowed: false, retryAfterMs: PROBE_RETRY_MS };
      s.probing = true;
      return {
        allowed: true,
        ticket: { key, generation: s.generation, probe: true, settled: false },
      };
    }
    return {
      allowed: true,
      ticket: { key, generation: s.generation, probe: false, settled: false },
    };
  }

  /**
   * Whether the circuit opened since `ticket` was admitted (its call must not start then), and
   * how long to wait if it is still open.
   */
  openedSince(ticket: BreakerTicket): { opened: false } | { opened: true; retryAfterMs: number } {
    const s = this.states.get(ticket.key);
    if (!s || s.generation === ticket.generation) return { opened: false };
    return { opened: true, retryAfterMs: Math.max(PROBE_RETRY_MS, s.openUntil - this.now()) };
  }

  /** Records a call that ran to an answer (a plugin's own error included): not a crash. */
  succeeded(ticket: BreakerTicket): void {
    const s = this.settle(ticket);
    if (!s) return;
    if (ticket.probe) {
      this.close(s);
      return;
    }
    this.record(s, 0);
    if (s.crashes === 0 && s.openings === 0) this.states.delete(ticket.key);
  }

  /** Records a crash; returns the pause in ms when this crash opened the circuit. */
  crashed(ticket: BreakerTicket): number | undefined {
    let s = this.states.get(ticket.key);
    if (!s) {
      if (ticket.settled || ticket.generation !== 0) return undefined;
      s = {
        mode: CLOSED,
        window: new Uint8Array(this.windowSize),
        calls: 0,
        crashes: 0,
        openings: 0,
        generation: 0,
        openUntil: 0,
        probing: false,
      };
      this.states.set(ticket.key, s);
    }
    if (!this.settle(ticket)) return undefined;
    if (ticket.probe) return this.open(s);
    this.record(s, 1);
    return s.crashes >= Math.max(1, this.settings.threshold) ? this.open(s) : undefined;
  }

  /** Records a call that ended without an outcome that says anything of the plugin (refused, not started). */
  abandoned(ticket: BreakerTicket): void {
    this.settle(ticket);
  }

  /** Marks `ticket` settled; the state to record it in, if it still counts. */
  private settle(ticket: BreakerTicket): State | undefined {
    if (ticket.settled) return undefined;
    ticket.settled = true;
    const s = this.states.get(ticket.key);
    if (!s || s.generation !== ticket.generation) return undefined;
    if (ticket.probe) s.probing = false;
    return s;
  }

  private record(s: State, crash: 0 | 1): void {
    const at = s.calls % s.window.length;
    if (s.calls >= s.window.length) s.crashes -= s.window[at];
    s.window[at] = crash;
    s.crashes += crash;
    s.calls++;
    // A full window since the circuit closed without opening it: earlier openings are forgiven.
    if (s.calls >= s.window.length) s.openings = 0;
  }

  private open(s: State): number {
    const backoff = Math.min(
      this.settings.maxBackoffMs,
      this.settings.baseBackoffMs * 2 ** s.openings,
    );
    s.openings++;
    s.generation++;
    s.mode = OPEN;
    s.openUntil = this.now() + backoff;
    s.probing = false;
    this.clearWindow(s);
    return backoff;
  }

  private close(s: State): void {
    s.mode = CLOSED;
    this.clearWindow(s);
  }

  private clearWindow(s: State): void {
    s.window.fill(0);
    s.calls = 0;
    s.crashes = 0;
  }
}

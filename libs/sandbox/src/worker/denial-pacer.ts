/**
 * Blocks the calling thread for `ms` milliseconds (Atomics.wait: a worker may block, and is
 * stopped even while it waits).
 */
export function blockThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Paces one worker's refusals to `perSecond` (a burst of one second's worth): past it, each
 * refusal waits its turn before it is sent. A refusal is an audit record, so it is never dropped
 * or folded here; the wait is the refused call's own wall time, so a plugin that spends its host
 * calls on denials runs out of time instead of flooding the executor's main thread, and a
 * bystander pays nothing for it.
 */
export class DenialPacer {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly sleep: (ms: number) => void = blockThread,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  /** Takes this refusal's turn, waiting for it when the burst is spent; returns the ms waited. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(
      this.perSecond,
      this.tokens + ((now - this.refilledAt) * this.perSecond) / 1000,
    );
    this.refilledAt = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    // A debt: the time slept refills it before the next refusal's turn is computed.
    const waitMs = (-this.tokens * 1000) / this.perSecond;
    this.sleep(waitMs);
    return waitMs;
  }
}

/** A running call under watch: what ends it, and when (`performance.now()` milliseconds). */
interface Watched {
  deadline: number;
  expire: () => void;
}

/**
 * The wall-time deadlines of one plugin's calls, all of the same length, under one timer. A timer
 * set and cleared for every call costs more than a short call's own work (Node removes the
 * timer's list and puts it back each time); here a call only enters and leaves a set, and the
 * timer, armed for the oldest deadline, is left to fire: it expires what is due and is armed
 * again for the oldest call still running, if any. Calls are watched in the order they start, so
 * the first in the set has the earliest deadline. A call expires at its deadline, within the
 * timer's granularity (a millisecond), as with a timer of its own.
 */
export class CallDeadlines {
  private readonly watched = new Set<Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly wallTimeMs: number) {}

  /** Calls `expire` once `wallTimeMs` have passed, unless the returned release is called first. */
  watch(expire: () => void): () => void {
    const call = { deadline: performance.now() + this.wallTimeMs, expire };
    this.watched.add(call);
    if (this.timer === undefined) this.arm(this.wallTimeMs);
    return () => void this.watched.delete(call);
  }

  /** Stops the timer; calls still watched no longer expire. */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  private arm(ms: number): void {
    // Unreferenced: a call in flight keeps the process alive by its own I/O, an idle plugin must not.
    this.timer = setTimeout(() => this.expireDue(), ms).unref();
  }

  private expireDue(): void {
    this.timer = undefined;
    const now = performance.now();
    for (const call of this.watched) {
      if (call.deadline > now) return this.arm(call.deadline - now);
      this.watched.delete(call);
      call.expire();
    }
  }
}

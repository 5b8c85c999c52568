/**
 * Blocks the calling thread for `ms` milliseconds (Atomics.wait: a worker may block, and is
 * stopped even while it waits).
 */
export function blockThread(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Nanoseconds on the monotonic clock every thread of a process shares (performance.now is per thread). */
const monotonicNs = (): bigint => process.hrtime.bigint();

/**
 * The token bucket of one plugin version's refusals, shared by all its workers (see
 * {@link DenialPacer}). It holds one BigInt64: the instant, in {@link monotonicNs} nanoseconds,
 * at which the bucket is (or was) full again, from which the tokens at any instant follow: a
 * bucket whose instant has passed is full, so a zeroed buffer is a full bucket. Create it once per
 * version and keep it for as long as the version is loaded: a fresh bucket is a fresh burst.
 */
export function createDenialBucket(): SharedArrayBuffer {
  return new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
}

/**
 * Paces the refusals of all the workers sharing `bucket` (one plugin version) to `perSecond`,
 * with a burst of one second's worth: past it, each refusal waits its turn before it is sent. A
 * refusal is an audit record, so it is never dropped or folded here; the wait is the refused
 * call's own wall time, so a plugin that spends its host calls on denials runs out of time
 * instead of flooding the executor's main thread, and a bystander pays nothing for it.
 *
 * A turn is taken with one compare-exchange on the bucket's full-again instant F (the generic cell
 * rate algorithm): F' = max(F, now) + one token's interval, and the turn comes when F' is no more
 * than a burst ahead of now. Each successful exchange advances F by exactly one interval from the
 * value it replaced, so concurrent workers can neither lose a token nor take the same one twice.
 * The interval is rounded up to a whole nanosecond: the rate is at most `perSecond`.
 */
export class DenialPacer {
  private readonly bucket: BigInt64Array;
  /** One token's worth of time, ns. */
  private readonly interval: bigint;
  /** The burst's worth of time, ns. */
  private readonly burst: bigint;

  constructor(
    bucket: SharedArrayBuffer,
    perSecond: number,
    private readonly sleep: (ms: number) => void = blockThread,
    private readonly now: () => bigint = monotonicNs,
  ) {
    if (!Number.isInteger(perSecond) || perSecond < 1)
      throw new RangeError(`denialsPerSecond must be a positive integer, not ${perSecond}`);
    this.bucket = new BigInt64Array(bucket, 0, 1);
    this.interval = BigInt(Math.ceil(1e9 / perSecond));
    this.burst = this.interval * BigInt(perSecond);
  }

  /** Takes this refusal's turn, waiting for it when the burst is spent; returns the ms waited. */
  take(): number {
    for (;;) {
      const now = this.now();
      const full = Atomics.load(this.bucket, 0);
      const next = (full > now ? full : now) + this.interval;
      if (Atomics.compareExchange(this.bucket, 0, full, next) !== full) continue;
      // Past the burst, the turn comes once the time slept has refilled this token.
      const debt = next - now - this.burst;
      if (debt <= 0n) return 0;
      const waitMs = Number(debt) / 1e6;
      this.sleep(waitMs);
      return waitMs;
    }
  }
}

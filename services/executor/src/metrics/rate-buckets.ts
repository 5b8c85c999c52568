import { fullLogBucket, LINE_DROPPED, takeLogToken, type LogBucket } from '@convergio/policy';

/** Keys whose buckets are kept before idle ones (full again) are let go. */
const MAX_RATE_BUCKETS = 10_000;

/**
 * A token bucket per key (a plugin id, a publisher), each refilled at `perSecond` tokens a second
 * and holding one second's worth (the burst); see takeLogToken. At most MAX_RATE_BUCKETS are
 * kept: past it, buckets idle for a second are let go (being full again, forgetting them changes
 * nothing).
 */
export class RateBuckets {
  private readonly buckets = new Map<string, LogBucket>();

  constructor(private readonly perSecond: number) {}

  /** Takes one token of `key`'s bucket; false when it has none (the event is dropped). */
  take(key: string): boolean {
    const now = performance.now();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_RATE_BUCKETS) this.forgetIdle(now);
      this.buckets.set(key, (bucket = fullLogBucket(now, this.perSecond)));
    }
    return takeLogToken(bucket, now, this.perSecond) !== LINE_DROPPED;
  }

  private forgetIdle(now: number): void {
    for (const [key, bucket] of this.buckets)
      if (now - bucket.updatedAtMs >= 1000) this.buckets.delete(key);
  }
}

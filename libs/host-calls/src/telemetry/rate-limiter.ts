import { fullLogBucket, takeLogToken, type LogBucket } from '@convergio/policy';

/** Where a host function's rate limit keeps its per-plugin buckets, and the clock it reads. */
export interface RateLimiter {
  buckets: Map<string, LogBucket>;
  now: () => number;
}

/**
 * A limiter for the life of the worker (one bucket per plugin id, even if the host functions are
 * bound again for each call). Monotonic clock: a wall-clock step must not refill a bucket.
 */
export function workerRateLimiter(): RateLimiter {
  return { buckets: new Map(), now: () => performance.now() };
}

/**
 * Takes a token from `plugin`'s bucket (full at first: one second's worth), refilled at
 * `perSecond`: how many were dropped before this one, or LINE_DROPPED (see takeLogToken).
 */
export function takeToken(limiter: RateLimiter, plugin: string, perSecond: number): number {
  const now = limiter.now();
  let bucket = limiter.buckets.get(plugin);
  if (bucket === undefined) limiter.buckets.set(plugin, (bucket = fullLogBucket(now, perSecond)));
  return takeLogToken(bucket, now, perSecond);
}

/** A token bucket's state, updated in place by {@link takeLogToken}. */
export interface LogBucket {
  tokens: number;
  updatedAtMs: number;
  /** Lines dropped since the last one that went through. */
  dropped: number;
}

/** What {@link takeLogToken} answers for a line the limit drops. */
export const LINE_DROPPED = -1;

/** A full bucket (one second's worth of lines) at `nowMs`. */
export function fullLogBucket(nowMs: number, linesPerSecond: number): LogBucket {
  return { tokens: Math.max(0, linesPerSecond), updatedAtMs: nowMs, dropped: 0 };
}

/**
 * Token bucket for log lines: refills `linesPerSecond` tokens a second, holds at most one
 * second's worth (the burst), one token per line. A clock that goes backwards refills
 * nothing. A rate of 0 or less drops everything. Takes a token for one line at `nowMs`, updating
 * `bucket` in place (a plugin may log on every host call: a line allocates nothing). Answers how
 * many lines were dropped before this one when it goes through, else {@link LINE_DROPPED} (and
 * counts it in the bucket).
 */
export function takeLogToken(bucket: LogBucket, nowMs: number, linesPerSecond: number): number {
  const capacity = Math.max(0, linesPerSecond);
  const elapsedMs = Math.max(0, nowMs - bucket.updatedAtMs);
  const tokens = Math.min(capacity, bucket.tokens + (elapsedMs * capacity) / 1000);
  bucket.updatedAtMs = Math.max(nowMs, bucket.updatedAtMs);
  if (tokens >= 1) {
    const droppedBefore = bucket.dropped;
    bucket.tokens = tokens - 1;
    bucket.dropped = 0;
    return droppedBefore;
  }
  bucket.tokens = tokens;
  bucket.dropped++;
  return LINE_DROPPED;
}

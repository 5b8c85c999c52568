/** A token bucket's state; plain data so the decision stays a pure function of (state, clock). */
export interface LogBucket {
  tokens: number;
  updatedAtMs: number;
  /** Lines dropped since the last one that went through. */
  dropped: number;
}

export interface LogTokenDecision {
  allowed: boolean;
  bucket: LogBucket;
  /** When allowed: how many lines were dropped before this one (reported with it). */
  droppedBefore: number;
}

/**
 * Token bucket for log lines: refills `linesPerSecond` tokens a second, holds at most one
 * second's worth (the burst), one token per line. A clock that goes backwards refills
 * nothing. A rate of 0 or less drops everything.
 */
export function takeLogToken(
  bucket: LogBucket | undefined,
  nowMs: number,
  linesPerSecond: number,
): LogTokenDecision {
  const capacity = Math.max(0, linesPerSecond);
  const current = bucket ?? { tokens: capacity, updatedAtMs: nowMs, dropped: 0 };
  const elapsedMs = Math.max(0, nowMs - current.updatedAtMs);
  const tokens = Math.min(capacity, current.tokens + (elapsedMs * capacity) / 1000);
  const updatedAtMs = Math.max(nowMs, current.updatedAtMs);
  if (tokens >= 1) {
    return {
      allowed: true,
      bucket: { tokens: tokens - 1, updatedAtMs, dropped: 0 },
      droppedBefore: current.dropped,
    };
  }
  return {
    allowed: false,
    bucket: { tokens, updatedAtMs, dropped: current.dropped + 1 },
    droppedBefore: 0,
  };
}

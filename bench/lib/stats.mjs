// Timing helpers: medians and tails of repeated measurements (the machine is shared: quote medians).

/** Runs `fn` `warmup` times unmeasured, then `iterations` times; returns per-run microseconds, sorted. */
export async function sample(fn, { warmup = 200, iterations = 2000 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const runs = new Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const start = process.hrtime.bigint();
    await fn();
    runs[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  return runs.sort((a, b) => a - b);
}

/** The value at quantile q (0..1) of sorted numbers. */
export function quantile(sorted, q) {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const median = (sorted) => quantile(sorted, 0.5);

/**
 * Measures `a` and `b` in alternating rounds so that load on the shared machine hits both
 * alike; returns the median of each (microseconds). `bOptions` (default: `options`) lets a much
 * slower `b` take fewer calls a round.
 */
export async function compare(a, b, { rounds = 5, ...options } = {}, bOptions = options) {
  const as = [];
  const bs = [];
  for (let r = 0; r < rounds; r++) {
    as.push(median(await sample(a, options)));
    bs.push(median(await sample(b, bOptions)));
  }
  return { a: median(as.sort((x, y) => x - y)), b: median(bs.sort((x, y) => x - y)) };
}

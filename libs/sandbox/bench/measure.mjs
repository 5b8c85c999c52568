// Reusable measuring helpers for `npm run bench`: medians of repeated async runs, one
// `bench: <name> = <value> <unit>` line per figure, all figures collected for results.json.

/** Median of the durations (ms) of `runs` awaited calls of `fn`, after `warmup` unmeasured ones. */
export async function medianMs(fn, { runs = 200, warmup = 20 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** Collects figures and prints each as `bench: <name> = <value> <unit>`. */
export class BenchReport {
  results = {};

  record(name, value, unit) {
    const rounded = Number(value.toPrecision(4));
    this.results[name] = { value: rounded, unit };
    console.log(`bench: ${name} = ${rounded} ${unit}`);
  }

  ratio(name, numerator, denominator) {
    this.record(`${name}_ratio`, numerator / denominator, 'x');
  }
}

/**
 * A value, or why not: what a check or parse returns when the only thing a caller needs on
 * failure is a sentence to show or record. Results whose failure carries structured data
 * (codes, findings, lists of problems) keep their own types.
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The successful {@link Outcome} holding `value`. */
export function succeed<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** The failed {@link Outcome} with `reason`; it fits an `Outcome` of any value type. */
export function fail(reason: string): Outcome<never> {
  return { ok: false, reason };
}

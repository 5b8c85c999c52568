import type { EntityManager } from 'typeorm';
import { countSizesWithin } from '@convergio/messaging';
import { AUDIT_SCHEMA } from '../audit.schema.js';

/**
 * Measures records one at a time, in the order given, while their running total (with a comma
 * each) stays within the budget: the database stops at the first record that does not fit, so it
 * never serializes much more than one page. A record's measure is an upper bound of the JSON of
 * the event it becomes: the database's own JSON of the row, whose columns are the event's fields;
 * it writes times with their offset and microseconds, numbers in `data` without exponents, and a
 * space after each `:` and `,` inside `data`, so it is never shorter than the event as sent.
 */
const MEASURE = `WITH RECURSIVE walk(i, bytes, used) AS (
    SELECT 0, 0, 0::bigint
  UNION ALL
    SELECT w.i + 1, m.bytes, w.used + m.bytes + 1
    FROM walk w CROSS JOIN LATERAL (
      SELECT octet_length(row_to_json(e)::text) AS bytes
      FROM ${AUDIT_SCHEMA}.events e WHERE e.seq = ($1::bigint[])[w.i + 1]) m
    WHERE w.i < cardinality($1::bigint[]) AND w.used <= $2)
  SELECT bytes FROM walk WHERE i > 0 ORDER BY i`;

/**
 * The first of `seqs` (stored records, in page order) whose events' JSON together fits `budget`
 * bytes, the first always (a lone event too large for the bus is refused there,
 * `reply_too_large`). Only the records up to the first that does not fit are measured, and none
 * is read.
 */
export async function seqsWithin(
  m: EntityManager,
  seqs: readonly string[],
  budget: number,
): Promise<string[]> {
  if (seqs.length === 0) return [];
  const sizes = await m.query<{ bytes: number }[]>(MEASURE, [seqs, budget]);
  return seqs.slice(
    0,
    countSizesWithin(
      sizes.map((s) => s.bytes),
      budget,
    ),
  );
}

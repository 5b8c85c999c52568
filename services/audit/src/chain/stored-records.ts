import type { EntityManager } from 'typeorm';
import { AUDIT_SCHEMA } from '../audit.schema.js';
import { seqsWithin } from '../query/seqs-within.js';
import type { ChainedRecord } from './record-hash.js';

/** Below every seq: rows a superuser inserted with seq 0 or less are read too. */
export const FIRST_SEQ = '-9223372036854775808';

/**
 * Bytes of records (their JSON as the database writes it) read at once to check or chain them:
 * 4 MiB, what bounds the audit service's memory per segment (a few times that once parsed and
 * hashed). A record larger than this is still read, alone.
 */
export const CHAIN_READ_BUDGET = 4 * 1024 * 1024;

const EVENTS = `${AUDIT_SCHEMA}.events`;
const UTC_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
const NEXT_SEQS = `SELECT seq::text AS seq FROM ${EVENTS} e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`;
// Times as text in the exact form that was hashed, never through a JavaScript Date.
const RECORDS = `SELECT seq::text AS seq, event_id::text AS event_id, type, source, plugin_id, version,
    correlation_id, to_char(occurred_at AT TIME ZONE 'UTC', ${UTC_MS}) AS occurred_at,
    to_char(recorded_at AT TIME ZONE 'UTC', ${UTC_MS}) AS recorded_at, data, prev_hash, hash
  FROM ${EVENTS} e WHERE e.seq = ANY($1::bigint[]) ORDER BY e.seq`;
const NEXT_PREV_HASH = `SELECT prev_hash FROM ${EVENTS} e WHERE e.seq > $1 ORDER BY e.seq LIMIT 1`;

/** A stored record with what the chain hashes, as the database holds it. */
export interface StoredRecord extends ChainedRecord {
  hash: string;
}

/**
 * Up to `limit` records after seq `after` (a bigint as text), in seq order, as many as fit
 * {@link CHAIN_READ_BUDGET} (the first always): the database measures them first and stops at
 * the first that does not fit, so no more is read whatever their size. Empty after the last.
 */
export async function readStoredRecords(
  m: EntityManager,
  after: string,
  limit: number,
): Promise<StoredRecord[]> {
  const seqs = (await m.query<{ seq: string }[]>(NEXT_SEQS, [after, limit])).map((r) => r.seq);
  const fit = await seqsWithin(m, seqs, CHAIN_READ_BUDGET);
  if (fit.length === 0) return [];
  const rows = await m.query<(Omit<StoredRecord, 'seq'> & { seq: string })[]>(RECORDS, [fit]);
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

/**
 * The `prev_hash` of the record after seq `after` (a bigint as text), only that of it; null
 * when none follows.
 */
export async function prevHashAfter(m: EntityManager, after: string): Promise<string | null> {
  const [next] = await m.query<{ prev_hash: string }[]>(NEXT_PREV_HASH, [after]);
  return next?.prev_hash ?? null;
}

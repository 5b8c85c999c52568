import { AUDIT_SCHEMA } from '../audit.schema.js';
import type { ChainedRecord } from './record-hash.js';

/** Below every seq: rows a superuser inserted with seq 0 or less are read too. */
export const FIRST_SEQ = '-9223372036854775808';

const UTC_MS = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;
// Times as text in the exact form that was hashed, never through a JavaScript Date.
const SEGMENT = `SELECT seq::text AS seq, event_id::text AS event_id, type, source, plugin_id, version,
    correlation_id, to_char(occurred_at AT TIME ZONE 'UTC', ${UTC_MS}) AS occurred_at,
    to_char(recorded_at AT TIME ZONE 'UTC', ${UTC_MS}) AS recorded_at, data, prev_hash, hash
  FROM ${AUDIT_SCHEMA}.events e WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`;

/** A stored record with what the chain hashes, as the database holds it. */
export interface StoredRecord extends ChainedRecord {
  hash: string;
}

type RunQuery = (sql: string, parameters: unknown[]) => Promise<unknown>;

/** Up to `limit` records after seq `after` (a bigint as text), in seq order. */
export async function readStoredRecords(
  query: RunQuery,
  after: string,
  limit: number,
): Promise<StoredRecord[]> {
  const rows = (await query(SEGMENT, [after, limit])) as (Omit<StoredRecord, 'seq'> & {
    seq: string;
  })[];
  return rows.map((row) => ({ ...row, seq: Number(row.seq) }));
}

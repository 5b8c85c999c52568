import { createHash } from 'node:crypto';
import { canonicalJsonBytes } from '@convergio/signing';

/** The `prev_hash` of the first record: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record's hash covers: every column as stored (text escaped, times in UTC to the millisecond). */
export interface ChainedRecord {
  seq: number;
  event_id: string;
  type: string;
  source: string;
  plugin_id: string | null;
  version: string | null;
  correlation_id: string;
  /** `YYYY-MM-DDTHH:mm:ss.sssZ` */
  occurred_at: string;
  /** `YYYY-MM-DDTHH:mm:ss.sssZ` */
  recorded_at: string;
  data: Record<string, unknown>;
  prev_hash: string;
}

/**
 * The hex SHA-256 of a record's RFC 8785 canonical JSON (via `canonicalJsonBytes`, the form
 * plugin signatures use): binds the record to its content, its place (`seq`) and, through
 * `prev_hash`, to every record before it.
 */
export function recordHash(record: ChainedRecord): string {
  const canonical: ChainedRecord = {
    seq: record.seq,
    event_id: record.event_id,
    type: record.type,
    source: record.source,
    plugin_id: record.plugin_id,
    version: record.version,
    correlation_id: record.correlation_id,
    occurred_at: record.occurred_at,
    recorded_at: record.recorded_at,
    data: record.data,
    prev_hash: record.prev_hash,
  };
  return createHash('sha256').update(canonicalJsonBytes(canonical)).digest('hex');
}

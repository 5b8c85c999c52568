import { createHash } from 'node:crypto';
import { canonicalJsonBytes } from '@convergio/signing';

/** The `prev_hash` of the first record: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/** What a record holds, as stored (text escaped, times in UTC to the millisecond). */
export interface RecordContent {
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
}

/** A record in its place in the chain. */
export interface ChainedRecord extends RecordContent {
  seq: number;
  prev_hash: string;
}

const sha256Hex = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The hex SHA-256 of a record's content in RFC 8785 canonical JSON (`canonicalJsonBytes`, the
 * form plugin signatures use). Computed before the chain's lock is taken: it is the costly part.
 * Throws SigningError for data that is not plain JSON or nests deeper than 512.
 */
export function contentHash(content: RecordContent): string {
  const canonical: RecordContent = {
    event_id: content.event_id,
    type: content.type,
    source: content.source,
    plugin_id: content.plugin_id,
    version: content.version,
    correlation_id: content.correlation_id,
    occurred_at: content.occurred_at,
    recorded_at: content.recorded_at,
    data: content.data,
  };
  return sha256Hex(canonicalJsonBytes(canonical));
}

/**
 * A record's hash: the hex SHA-256 of the RFC 8785 canonical JSON of
 * `{content_sha256, prev_hash, seq}`, which binds the record's content, its place and, through
 * `prev_hash`, every record before it.
 */
export function linkHash(seq: number, prevHash: string, contentSha256: string): string {
  return sha256Hex(canonicalJsonBytes({ content_sha256: contentSha256, prev_hash: prevHash, seq }));
}

/** The hash a record must store, recomputed from what it holds. */
export function recordHash(record: ChainedRecord): string {
  return linkHash(record.seq, record.prev_hash, contentHash(record));
}

import type { EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import { AUDIT_SCHEMA } from '../audit.schema.js';
import { GENESIS_HASH, linkHash, type ChainedRecord } from '../chain/record-hash.js';
import { prepareUnstorable, type PreparedRecord } from './audit-row.js';

const COLUMNS =
  'seq, event_id, type, source, plugin_id, version, correlation_id, occurred_at, recorded_at, data, prev_hash, hash';
const INSERT = `INSERT INTO ${AUDIT_SCHEMA}.events (${COLUMNS})
  SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::timestamptz[], $9::timestamptz[], $10::jsonb[], $11::text[], $12::text[])`;
// Read after the lock is taken: a statement's snapshot starts with it.
const CHAIN_STATE = `SELECT
  (SELECT e.seq::text FROM ${AUDIT_SCHEMA}.events e ORDER BY e.seq DESC LIMIT 1) AS head_seq,
  (SELECT e.hash FROM ${AUDIT_SCHEMA}.events e ORDER BY e.seq DESC LIMIT 1) AS head_hash,
  ARRAY(SELECT e.event_id::text FROM ${AUDIT_SCHEMA}.events e WHERE e.event_id = ANY($1::uuid[])) AS stored`;

interface Link {
  seq: number;
  hash: string;
}
type LinkedRecord = ChainedRecord & { hash: string };

/**
 * How records are inserted: all in one multi-row INSERT, or one by one, each refused one
 * recorded `unstorable` in its place (after a batch failed with a data error).
 */
export type AppendMode = 'batch' | 'row-by-row';

/**
 * Appends the records whose event is not in the log yet (by event id) to the chain, in the
 * transaction of `manager`, which must run as the audit role and hold the chain's lock
 * (`asAuditRole(..., { appending: true })`): each record's `prev_hash` is then the hash of the
 * record before it, whichever replica appended that one. Throws the database's error; in
 * `batch` mode a data error (see isDataError) means: append again `row-by-row`.
 */
export async function appendToChain(
  manager: EntityManager,
  records: readonly PreparedRecord[],
  mode: AppendMode,
): Promise<void> {
  const ids = records.map((r) => r.content.event_id);
  const [state] = await manager.query<
    { head_seq: string | null; head_hash: string | null; stored: string[] }[]
  >(CHAIN_STATE, [ids]);
  const seen = new Set(state.stored);
  const fresh = records.filter(
    (r) => !seen.has(r.content.event_id) && seen.add(r.content.event_id),
  );
  let head: Link =
    state.head_seq === null
      ? { seq: 0, hash: GENESIS_HASH }
      : { seq: Number(state.head_seq), hash: state.head_hash! };
  if (mode === 'batch') {
    const linked = fresh.map((r) => {
      const record = link(head, r);
      head = record;
      return record;
    });
    if (linked.length > 0) await insert(manager, linked);
    return;
  }
  for (const r of fresh) {
    await manager.query('SAVEPOINT audit_row');
    let record = link(head, r);
    try {
      await insert(manager, [record]);
    } catch (error) {
      if (!isDataError(error)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT audit_row');
      record = link(head, prepareUnstorable(r.event, r.content.recorded_at, String(error)));
      await insert(manager, [record]);
    }
    head = record;
  }
}

function link(head: Link, r: PreparedRecord): LinkedRecord {
  const seq = head.seq + 1;
  return {
    ...r.content,
    seq,
    prev_hash: head.hash,
    hash: linkHash(seq, head.hash, r.content_sha256),
  };
}

async function insert(manager: EntityManager, records: readonly LinkedRecord[]): Promise<void> {
  const column = <K extends keyof LinkedRecord>(k: K) => records.map((r) => r[k]);
  await manager.query(INSERT, [
    column('seq'),
    column('event_id'),
    column('type'),
    column('source'),
    column('plugin_id'),
    column('version'),
    column('correlation_id'),
    column('occurred_at'),
    column('recorded_at'),
    records.map((r) => JSON.stringify(r.data)),
    column('prev_hash'),
    column('hash'),
  ]);
}

/**
 * PostgreSQL's data exceptions (class 22: bad encoding, bad JSON, value out of range) and
 * program limits (class 54): retrying the same event would fail the same way.
 */
export function isDataError(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

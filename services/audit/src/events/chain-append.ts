import type { EntityManager } from 'typeorm';
import { QueryFailedError } from 'typeorm';
import type { EventEnvelope } from '@convergio/contracts';
import { AUDIT_CHAIN_LOCK, AUDIT_SCHEMA } from '../audit.schema.js';
import { GENESIS_HASH, recordHash, type ChainedRecord } from '../chain/record-hash.js';
import { auditRowOf, unstorableRowOf, type AuditRow } from './audit-row.js';

const COLUMNS =
  'seq, event_id, type, source, plugin_id, version, correlation_id, occurred_at, recorded_at, data, prev_hash, hash';
const INSERT = `INSERT INTO ${AUDIT_SCHEMA}.events (${COLUMNS})
  SELECT * FROM unnest($1::bigint[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::timestamptz[], $9::timestamptz[], $10::jsonb[], $11::text[], $12::text[])`;

interface Head {
  seq: number;
  hash: string;
}

/**
 * Appends the events not yet recorded (by event id) to the chain, in the transaction of
 * `manager`, which must run as the audit role. Takes the chain's advisory lock first, so appends
 * of every replica are serialized and each record's `prev_hash` is the hash of the record before
 * it. All rows go in one multi-row INSERT; should the database refuse the data of one, the rows
 * are inserted one by one and each refused one is recorded `unstorable` in its place.
 */
export async function appendToChain(
  manager: EntityManager,
  events: readonly EventEnvelope[],
): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
  const fresh = await unrecorded(manager, events);
  if (fresh.length === 0) return;
  const head = await chainHead(manager);
  const recordedAt = new Date().toISOString();
  await manager.query('SAVEPOINT audit_batch');
  try {
    await insert(manager, chain(head, fresh, recordedAt, auditRowOf));
    return;
  } catch (error) {
    if (!isDataError(error)) throw error;
    await manager.query('ROLLBACK TO SAVEPOINT audit_batch');
  }
  let at = head;
  for (const event of fresh) {
    await manager.query('SAVEPOINT audit_row');
    let [record] = chain(at, [event], recordedAt, auditRowOf);
    try {
      await insert(manager, [record]);
    } catch (error) {
      if (!isDataError(error)) throw error;
      await manager.query('ROLLBACK TO SAVEPOINT audit_row');
      [record] = chain(at, [event], recordedAt, (e) => unstorableRowOf(e, String(error)));
      await insert(manager, [record]);
    }
    at = { seq: record.seq, hash: record.hash };
  }
}

/** The events whose id is not in the log yet, each once. */
async function unrecorded(
  manager: EntityManager,
  events: readonly EventEnvelope[],
): Promise<EventEnvelope[]> {
  const byId = new Map<string, EventEnvelope>();
  for (const e of events) if (!byId.has(e.id.toLowerCase())) byId.set(e.id.toLowerCase(), e);
  const stored: { event_id: string }[] = await manager.query(
    `SELECT event_id::text AS event_id FROM ${AUDIT_SCHEMA}.events WHERE event_id = ANY($1::uuid[])`,
    [[...byId.keys()]],
  );
  for (const { event_id } of stored) byId.delete(event_id);
  return [...byId.values()];
}

async function chainHead(manager: EntityManager): Promise<Head> {
  const [last] = (await manager.query(
    `SELECT seq::text AS seq, hash FROM ${AUDIT_SCHEMA}.events e ORDER BY e.seq DESC LIMIT 1`,
  )) as { seq: string; hash: string }[];
  return last ? { seq: Number(last.seq), hash: last.hash } : { seq: 0, hash: GENESIS_HASH };
}

/**
 * The records of `events` after `head`, each hashed over its row from `rowOf`; an event whose
 * data cannot be canonicalized (nested beyond what RFC 8785 serialization here accepts) is
 * recorded `unstorable` instead.
 */
function chain(
  head: Head,
  events: readonly EventEnvelope[],
  recordedAt: string,
  rowOf: (event: EventEnvelope) => AuditRow,
): (ChainedRecord & { hash: string })[] {
  let prev = head;
  return events.map((event) => {
    const place = { seq: prev.seq + 1, recorded_at: recordedAt, prev_hash: prev.hash };
    let record: ChainedRecord = { ...rowOf(event), ...place };
    let hash: string;
    try {
      hash = recordHash(record);
    } catch (error) {
      record = { ...unstorableRowOf(event, String(error)), ...place };
      hash = recordHash(record);
    }
    prev = { seq: record.seq, hash };
    return { ...record, hash };
  });
}

async function insert(
  manager: EntityManager,
  records: readonly (ChainedRecord & { hash: string })[],
): Promise<void> {
  const column = <K extends keyof ChainedRecord | 'hash'>(k: K) => records.map((r) => r[k]);
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
function isDataError(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

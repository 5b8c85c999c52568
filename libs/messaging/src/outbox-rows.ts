import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import type { EventEnvelope } from '@convergio/contracts';
import { OUTBOX_TABLE, quoteSchemaName } from '@convergio/persistence';

/** Wait before retrying an event after its first failed attempt; doubles with each attempt. */
const FIRST_RETRY_S = 1;
/** Longest wait between two attempts of one event. */
const MAX_RETRY_S = 3600;

/** An unsent row as the relay takes it: the envelope still as stored text, maybe unparsable. */
export interface DueRow {
  /** bigserial, as text. */
  seq: string;
  event_id: string;
  subject: string;
  envelope: string;
}

/** A counted failure as recorded: the attempts so far, and whether the row was set aside. */
export interface RecordedFailure {
  attempts: number;
  deadLettered: boolean;
  /** Seconds until the next attempt (when not set aside). */
  retryInS: number;
}

/** The SQL of one service's `<schema>.outbox` table (libs/persistence outbox.sql.ts). */
export class OutboxRows {
  readonly table: string;

  constructor(schema: string) {
    this.table = `${quoteSchemaName(schema)}.${OUTBOX_TABLE}`;
  }

  /** Writes an event (a retried handler writes the same id again: kept once). */
  async insert(manager: EntityManager, envelope: EventEnvelope): Promise<void> {
    await manager.query(
      `INSERT INTO ${this.table} (event_id, subject, envelope) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`,
      [envelope.id, envelope.type, JSON.stringify(envelope)],
    );
  }

  /** Which of `ids` have a row (a rolled-back savepoint may have taken some). */
  async existing(runner: QueryRunner, ids: string[]): Promise<Set<string>> {
    const rows = (await runner.query(
      `SELECT event_id FROM ${this.table} WHERE event_id = ANY($1)`,
      [ids],
    )) as { event_id: string }[];
    return new Set(rows.map((r) => r.event_id));
  }

  /**
   * Locks, in the runner's transaction, the oldest row after `afterSeq` that is unsent, not set
   * aside, written over `olderThanMs` ago and due for an attempt; skips rows another replica holds.
   */
  async lockNextDue(
    runner: QueryRunner,
    olderThanMs: number,
    afterSeq: string,
  ): Promise<DueRow | undefined> {
    const rows = (await runner.query(
      `SELECT seq, event_id, subject, envelope FROM ${this.table}
       WHERE sent_at IS NULL AND dead_lettered_at IS NULL AND seq > $2
         AND created_at < now() - make_interval(secs => $1)
         AND (next_attempt_at IS NULL OR next_attempt_at <= now())
       ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [olderThanMs / 1000, afterSeq],
    )) as DueRow[];
    return rows[0];
  }

  /**
   * Marks an event JetStream stored. One set aside earlier (a retried handler wrote it again and
   * its commit published it) no longer is.
   */
  async markSent(runner: QueryRunner, eventId: string): Promise<void> {
    await runner.query(
      `UPDATE ${this.table} SET sent_at = now(), dead_lettered_at = NULL WHERE event_id = $1`,
      [eventId],
    );
  }

  /** Notes a publish the bus could not take: why, but no attempt counted against the event. */
  async recordOutage(runner: QueryRunner, eventId: string, reason: string): Promise<void> {
    await runner.query(
      `UPDATE ${this.table} SET last_attempt_at = now(), last_error = $2
       WHERE event_id = $1 AND sent_at IS NULL`,
      [eventId, reason],
    );
  }

  /**
   * Counts a failed attempt against an event: the next one waits FIRST_RETRY_S doubled per
   * attempt before (at most MAX_RETRY_S), and the `maxAttempts`-th sets the row aside. Undefined
   * when the row was sent or set aside meanwhile.
   */
  async recordFailure(
    runner: QueryRunner,
    eventId: string,
    reason: string,
    maxAttempts: number,
  ): Promise<RecordedFailure | undefined> {
    // An UPDATE answers [rows, count]. SET reads the values from before the update; the exponent
    // is capped only so that power() cannot overflow (the wait is capped at MAX_RETRY_S anyway).
    const [[row]] = (await runner.query(
      `UPDATE ${this.table} SET attempts = attempts + 1, last_attempt_at = now(), last_error = $2,
         next_attempt_at = now() + make_interval(secs => least($4 * power(2, least(attempts, 20)), $5)),
         dead_lettered_at = CASE WHEN attempts + 1 >= $3 THEN now() END
       WHERE event_id = $1 AND sent_at IS NULL AND dead_lettered_at IS NULL
       RETURNING attempts, dead_lettered_at IS NOT NULL AS dead_lettered,
         extract(epoch FROM next_attempt_at - last_attempt_at)::float AS retry_in_s`,
      [eventId, reason, maxAttempts, FIRST_RETRY_S, MAX_RETRY_S],
    )) as [{ attempts: number; dead_lettered: boolean; retry_in_s: number }[], number];
    return (
      row && { attempts: row.attempts, deadLettered: row.dead_lettered, retryInS: row.retry_in_s }
    );
  }

  /** Deletes rows sent more than `olderThanMs` ago. Returns how many. */
  async prune(dataSource: DataSource, olderThanMs: number): Promise<number> {
    const [, count] = await dataSource.query<[unknown, number]>(
      `DELETE FROM ${this.table} WHERE sent_at < now() - make_interval(secs => $1)`,
      [olderThanMs / 1000],
    );
    return count;
  }

  async countDeadLettered(dataSource: DataSource): Promise<number> {
    const [{ count }] = await dataSource.query<{ count: number }[]>(
      `SELECT count(*)::int AS count FROM ${this.table} WHERE dead_lettered_at IS NOT NULL`,
    );
    return count;
  }
}

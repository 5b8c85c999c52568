import { Logger } from '@nestjs/common';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import type { EventEnvelope, EventPayloadMap, EventSubject } from '@convergio/contracts';
import { OUTBOX_TABLE, quoteSchemaName } from '@convergio/persistence';
import type { BusClient } from './bus-client.js';

/** Rows a relay pass publishes at most; the next pass takes the rest. */
const BATCH = 100;

/**
 * A transactional outbox (one `<schema>.outbox` table per service): `add` writes an event in the
 * transaction of the state change it reports, so the event exists exactly when the change does.
 * Right after that transaction commits, the events it added are published to the bus (their id
 * as JetStream message id) and marked sent; `relayPending` publishes what a crash or an
 * unreachable bus left behind. A row published but not yet marked is published again, and
 * JetStream's duplicate window drops the second copy; consumers are idempotent by event id.
 */
export class TransactionalOutbox implements EntitySubscriberInterface {
  private readonly log: Logger;
  private readonly table: string;
  /**
   * Events added in each open transaction, by its query runner, and whether a savepoint of it
   * rolled back since (which may have taken some of their rows with it).
   */
  private readonly added = new WeakMap<
    QueryRunner,
    { events: EventEnvelope[]; savepointRolledBack: boolean }
  >();

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: BusClient,
    schema: string,
  ) {
    this.table = `${quoteSchemaName(schema)}.${OUTBOX_TABLE}`;
    this.log = new Logger(`${schema} outbox`);
    dataSource.subscribers.push(this);
  }

  /**
   * Writes an event in the transaction of `manager`, to be published once it commits. Returns the
   * event id. Throws a DomainError `validation_failed` for bad data (nothing written), and an
   * Error when `manager` is not inside a transaction.
   */
  async add<S extends EventSubject>(
    manager: EntityManager,
    subject: S,
    data: EventPayloadMap[S],
    correlationId?: string,
  ): Promise<string> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive)
      throw new Error('TransactionalOutbox.add needs a transaction');
    const envelope = this.bus.createEvent(subject, data, correlationId);
    // A handler's events have ids derived from the message it handles: a retry adds the same rows.
    await manager.query(
      `INSERT INTO ${this.table} (event_id, subject, envelope) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING`,
      [envelope.id, subject, JSON.stringify(envelope)],
    );
    const open = this.added.get(runner) ?? { events: [], savepointRolledBack: false };
    this.added.set(runner, { ...open, events: [...open.events, envelope] });
    return envelope.id;
  }

  /** Writes and publishes one event in a transaction of its own (a record with no state change). */
  async record<S extends EventSubject>(subject: S, data: EventPayloadMap[S]): Promise<string> {
    return this.dataSource.transaction((manager) => this.add(manager, subject, data));
  }

  /** TypeORM hook: publishes the events of a transaction that just committed (not a savepoint). */
  async afterTransactionCommit({ queryRunner }: TransactionCommitEvent): Promise<void> {
    if (queryRunner.isTransactionActive) return;
    const open = this.added.get(queryRunner);
    if (!open) return;
    this.added.delete(queryRunner);
    // On the committing runner, now idle: the embedded database serves one connection at a time.
    await this.publish(queryRunner, open.events, open.savepointRolledBack).catch((error: unknown) =>
      this.log.warn(`${open.events.length} event(s) left for the relay: ${String(error)}`),
    );
  }

  /** TypeORM hook: a transaction rolled back added nothing; a savepoint, maybe some. */
  afterTransactionRollback({ queryRunner }: TransactionRollbackEvent): void {
    const open = this.added.get(queryRunner);
    if (!queryRunner.isTransactionActive) this.added.delete(queryRunner);
    else if (open) open.savepointRolledBack = true;
  }

  /** Publishes a committed transaction's events (those whose rows still exist), marks them sent. */
  private async publish(runner: QueryRunner, events: EventEnvelope[], recheck: boolean) {
    let committed = events;
    if (recheck) {
      const rows = (await runner.query(
        `SELECT event_id FROM ${this.table} WHERE event_id = ANY($1)`,
        [events.map((e) => e.id)],
      )) as { event_id: string }[];
      const kept = new Set(rows.map((r) => r.event_id));
      committed = events.filter((e) => kept.has(e.id));
    }
    await this.send(runner, committed);
  }

  /**
   * Publishes rows still unsent `olderThanMs` after they were written (younger ones are being
   * published by their own commit), oldest first, at most BATCH of them. Several replicas may
   * run it at once: each takes rows the others have not locked. Returns how many it published.
   */
  async relayPending(olderThanMs: number): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await runner.startTransaction();
      const published = await this.publishRows(
        runner,
        `SELECT event_id, envelope FROM ${this.table}
         WHERE sent_at IS NULL AND created_at < now() - make_interval(secs => $1)
         ORDER BY seq LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
        [olderThanMs / 1000],
      );
      await runner.commitTransaction();
      return published;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Deletes rows sent more than `olderThanMs` ago (JetStream holds the events). Returns how many. */
  async prune(olderThanMs: number): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM ${this.table} WHERE sent_at < now() - make_interval(secs => $1)`,
      [olderThanMs / 1000],
    );
    return count;
  }

  /** Publishes the selected rows in order, stopping at the first failure; marks those published. */
  private async publishRows(runner: QueryRunner, select: string, params: unknown[]) {
    const rows = (await runner.query(select, params)) as { envelope: string }[];
    return this.send(
      runner,
      rows.map((row) => JSON.parse(row.envelope) as EventEnvelope),
    );
  }

  /** Publishes events in order, stopping at the first failure; marks those published as sent. */
  private async send(runner: QueryRunner, events: EventEnvelope[]): Promise<number> {
    const sent: string[] = [];
    try {
      for (const event of events) {
        await this.bus.publishEnvelope(event);
        sent.push(event.id);
      }
    } finally {
      if (sent.length > 0)
        await runner.query(`UPDATE ${this.table} SET sent_at = now() WHERE event_id = ANY($1)`, [
          sent,
        ]);
    }
    return sent.length;
  }
}

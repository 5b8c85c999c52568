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
import type { Context } from '@opentelemetry/api';
import type { BusClient } from './bus-client.js';
import type { MessageContext } from './message-context.js';
import { BusUnavailableError } from './bus-unavailable.error.js';
import { OutboxRows } from './outbox-rows.js';
import { DEFAULT_OUTBOX_SETTINGS, type OutboxSettings } from './outbox-settings.js';

/** Rows a relay pass tries at most; the next pass takes the rest. */
const BATCH = 100;
/** Longest reason kept in `last_error` and logged. */
const MAX_REASON = 500;

/** How one publish ended: sent, failed because of the event, or the bus was unavailable. */
type Outcome = 'sent' | 'failed' | BusUnavailableError;
/** An event written in an open transaction, with the trace its first publish carries. */
type Outgoing = { envelope: EventEnvelope; trace?: Context };

/**
 * A transactional outbox (one `<schema>.outbox` table per service): `add` writes an event in the
 * transaction of the state change it reports, so the event exists exactly when the change does.
 * Right after that transaction commits, the events it added are published to the bus (their id
 * as JetStream message id), each marked sent on its own; `relayPending` publishes what a crash
 * or an unreachable bus left behind. A row published but not yet marked is published again, and
 * JetStream's duplicate window drops the second copy; consumers are idempotent by event id.
 *
 * An event the bus refuses because of the event itself (a subject the stream lacks or the NATS
 * user may not publish, a body over a size limit, a row that no longer parses) holds up no
 * other: its attempts are counted, retried with a doubling wait, and after
 * `settings.maxAttempts` it is set aside (dead-lettered) and logged as an error. A bus outage
 * counts no attempt: the rows simply wait (ADR 0016).
 */
export class TransactionalOutbox implements EntitySubscriberInterface {
  private readonly log: Logger;
  private readonly rows: OutboxRows;
  /**
   * Events added in each open transaction, by its query runner, and whether a savepoint of it
   * rolled back since (which may have taken some of their rows with it).
   */
  private readonly added = new WeakMap<
    QueryRunner,
    { events: Outgoing[]; savepointRolledBack: boolean }
  >();

  constructor(
    private readonly dataSource: DataSource,
    private readonly bus: BusClient,
    /** The service schema holding the `outbox` table. */
    readonly schema: string,
    private readonly settings: OutboxSettings = DEFAULT_OUTBOX_SETTINGS,
  ) {
    this.rows = new OutboxRows(schema);
    this.log = new Logger(`${schema} outbox`);
    dataSource.subscribers.push(this);
  }

  /**
   * Writes an event built in `context` (the message or request being handled, if any) in the
   * transaction of `manager`, to be published once it commits. Returns the event id. Throws a
   * DomainError `validation_failed` for bad data (nothing written), and an Error when `manager`
   * is not inside a transaction.
   */
  async add<S extends EventSubject>(
    manager: EntityManager,
    subject: S,
    data: EventPayloadMap[S],
    context?: MessageContext,
  ): Promise<string> {
    const runner = manager.queryRunner;
    if (!runner?.isTransactionActive)
      throw new Error('TransactionalOutbox.add needs a transaction');
    const envelope = this.bus.createEvent(subject, data, context);
    // A handler's events have ids derived from the message it handles: a retry adds the same rows.
    await this.rows.insert(manager, envelope);
    // The trace goes with the commit's publish only: the relay's later one carries none.
    const event = { envelope, trace: context?.trace };
    const open = this.added.get(runner);
    if (open) open.events.push(event);
    else this.added.set(runner, { events: [event], savepointRolledBack: false });
    return envelope.id;
  }

  /**
   * Writes and publishes one event built in `context` in a transaction of its own (a record
   * with no state change).
   */
  async record<S extends EventSubject>(
    subject: S,
    data: EventPayloadMap[S],
    context?: MessageContext,
  ): Promise<string> {
    return this.dataSource.transaction((manager) => this.add(manager, subject, data, context));
  }

  /**
   * Writes and publishes events of one subject in one transaction of their own: all or none
   * (one with bad data fails them all). Returns their ids, in order.
   */
  async recordAll<S extends EventSubject>(
    subject: S,
    data: readonly EventPayloadMap[S][],
  ): Promise<string[]> {
    return this.dataSource.transaction(async (manager) => {
      const ids: string[] = [];
      for (const d of data) ids.push(await this.add(manager, subject, d));
      return ids;
    });
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

  /**
   * Publishes a committed transaction's events (those whose rows still exist) in order, each
   * marked on its own. One failing because of itself is counted and the next ones still go; a
   * bus outage leaves it and the rest to the relay.
   */
  private async publish(runner: QueryRunner, events: Outgoing[], recheck: boolean) {
    let committed = events;
    if (recheck) {
      const kept = await this.rows.existing(
        runner,
        events.map((e) => e.envelope.id),
      );
      committed = events.filter((e) => kept.has(e.envelope.id));
    }
    for (const [i, { envelope, trace }] of committed.entries()) {
      const outcome = await this.attempt(runner, envelope.id, envelope.type, () => envelope, trace);
      if (outcome instanceof BusUnavailableError) {
        this.log.warn(`${committed.length - i} event(s) left for the relay: ${outcome.message}`);
        return;
      }
    }
  }

  /**
   * Publishes rows still unsent `olderThanMs` after they were written (younger ones are being
   * published by their own commit) and due for an attempt, oldest first, at most BATCH of them,
   * each in a transaction of its own. Several replicas may run it at once: each takes rows the
   * others have not locked. Returns how many it published; throws the BusUnavailableError of a
   * bus outage (the rows wait for the next pass, no attempt counted).
   */
  async relayPending(olderThanMs: number): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    let published = 0;
    let afterSeq = '0';
    try {
      for (let taken = 0; taken < BATCH; taken++) {
        await runner.startTransaction();
        const row = await this.rows.lockNextDue(runner, olderThanMs, afterSeq);
        if (!row) {
          await runner.commitTransaction();
          break;
        }
        afterSeq = row.seq;
        const outcome = await this.attempt(
          runner,
          row.event_id,
          row.subject,
          () => JSON.parse(row.envelope) as EventEnvelope,
        );
        await runner.commitTransaction();
        if (outcome instanceof BusUnavailableError) throw outcome;
        if (outcome === 'sent') published++;
      }
      return published;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }

  /** Deletes rows sent more than `olderThanMs` ago (JetStream holds the events). Returns how many. */
  prune(olderThanMs: number): Promise<number> {
    return this.rows.prune(this.dataSource, olderThanMs);
  }

  /** How many rows are set aside (dead-lettered), waiting for an operator. */
  countDeadLettered(): Promise<number> {
    return this.rows.countDeadLettered(this.dataSource);
  }

  /**
   * Publishes one event and records how that went on its row: sent; a failure counted against
   * it (set aside at the last attempt); or, for a bus outage, only the reason.
   */
  private async attempt(
    runner: QueryRunner,
    eventId: string,
    subject: string,
    envelope: () => EventEnvelope,
    trace?: Context,
  ): Promise<Outcome> {
    try {
      await this.bus.publishEnvelope(envelope(), trace);
    } catch (error) {
      const reason = reasonOf(error);
      if (error instanceof BusUnavailableError) {
        await this.rows.recordOutage(runner, eventId, reason);
        return error;
      }
      const max = this.settings.maxAttempts;
      const failure = await this.rows.recordFailure(runner, eventId, reason, max);
      if (failure?.deadLettered)
        this.log.error(
          `event ${eventId} (${subject}) dead-lettered after ${failure.attempts} failed attempts, no longer retried: ${reason}. The row stays in ${this.rows.table} until an operator replays or deletes it (docs/operator-guide.md)`,
        );
      else if (failure)
        this.log.warn(
          `event ${eventId} (${subject}) not published (attempt ${failure.attempts} of ${max}, next in ${failure.retryInS} s): ${reason}`,
        );
      return 'failed';
    }
    await this.rows.markSent(runner, eventId);
    return 'sent';
  }
}

/**
 * Why a publish failed, without the event's data: JSON.parse quotes the text it could not
 * parse, so an unparsable row gets a fixed reason.
 */
function reasonOf(error: unknown): string {
  if (error instanceof SyntaxError) return 'the stored envelope is not valid JSON';
  const text =
    error instanceof Error
      ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`
      : String(error);
  return text.slice(0, MAX_REASON);
}

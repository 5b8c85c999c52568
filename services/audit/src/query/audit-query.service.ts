import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import {
  DomainError,
  escapeAuditText,
  type AuditEvent,
  type RequestMap,
  type ReplyMap,
} from '@convergio/contracts';
import { BusLimits } from '@convergio/messaging';
import { AuditRecord } from '../events/audit-record.entity.js';
import { asAuditRole } from '../events/as-audit-role.js';
import { decodeAuditCursor, encodeAuditCursor } from './audit-cursor.js';
import { seqsWithin } from './seqs-within.js';

type AuditQuery = RequestMap['audit.query'];

/** Filtered pages of the audit log, in the order it was recorded. */
@Injectable()
export class AuditQueryService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly limits: BusLimits,
  ) {}

  /**
   * One page of events matching every filter given, after `cursor` (or `after_seq`): at most
   * `limit`, fewer when their JSON would exceed the bus's reply budget (an event carries its
   * plugin's manifest); the cursor then continues after the last one given. The database lists
   * and measures the events first, so only those of the page are read, whatever their size. Throws
   * `validation_failed` for a cursor it did not hand out, both `cursor` and `after_seq`, or a
   * time range that ends before it starts.
   */
  async query(q: AuditQuery): Promise<ReplyMap['audit.query']> {
    const after = afterOf(q);
    const from = q.from === undefined ? undefined : timeOf(q.from, '/from');
    const to = q.to === undefined ? undefined : timeOf(q.to, '/to');
    if (from !== undefined && to !== undefined && from >= to)
      throw invalid('invalid_range', '`from` must be before `to`', '/from');
    const { records, more } = await asAuditRole(this.dataSource, async (m) => {
      const repository = m.getRepository(AuditRecord);
      const qb = repository
        .createQueryBuilder('e')
        .select('e.seq', 'seq')
        .orderBy('e.seq', 'ASC')
        .limit(q.limit + 1);
      // Stored text is escaped: so are the values it is compared with.
      if (q.plugin_id)
        qb.andWhere('e.plugin_id = :pluginId', { pluginId: escapeAuditText(q.plugin_id) });
      if (q.version) qb.andWhere('e.version = :version', { version: escapeAuditText(q.version) });
      if (q.type) qb.andWhere('e.type = :type', { type: escapeAuditText(q.type) });
      if (q.actor) qb.andWhere(`e.data ->> 'actor' = :actor`, { actor: escapeAuditText(q.actor) });
      if (from) qb.andWhere('e.occurred_at >= :from', { from });
      if (to) qb.andWhere('e.occurred_at < :to', { to });
      if (after !== undefined) qb.andWhere('e.seq > :after', { after });
      const seqs = (await qb.getRawMany<{ seq: string }>()).map((r) => r.seq);
      const fit = await seqsWithin(m, seqs.slice(0, q.limit), this.limits.replyBudget);
      return {
        records: fit.length
          ? await repository.find({ where: { seq: In(fit) }, order: { seq: 'ASC' } })
          : [],
        more: seqs.length > fit.length,
      };
    });
    const page = records.map(toEvent);
    const last = more ? page[page.length - 1].seq : null;
    return {
      events: page,
      next_after_seq: last,
      next_cursor: last === null ? null : encodeAuditCursor(last),
    };
  }
}

function afterOf(q: AuditQuery): number | undefined {
  if (q.cursor === undefined) return q.after_seq;
  if (q.after_seq !== undefined)
    throw invalid('conflicting_position', 'give `cursor` or `after_seq`, not both', '/cursor');
  return decodeAuditCursor(q.cursor);
}

/** A filter time as the log stores times (UTC, milliseconds); years 1 to 9999 only. */
function timeOf(value: string, path: string): string {
  const time = new Date(value);
  const year = time.getUTCFullYear();
  if (Number.isNaN(time.getTime()))
    throw invalid(
      'invalid_time',
      'a time without a leap second (23:59:60, which RFC 3339 allows): the log holds none',
      path,
    );
  if (year < 1 || year > 9999)
    throw invalid('invalid_time', 'a time between the years 1 and 9999', path);
  return time.toISOString();
}

const invalid = (code: string, message: string, path: string) =>
  new DomainError('validation_failed', 'invalid audit query', [{ code, message, path }]);

function toEvent(r: AuditRecord): AuditEvent {
  return {
    seq: Number(r.seq),
    event_id: r.eventId,
    type: r.type,
    source: r.source,
    plugin_id: r.pluginId,
    version: r.version,
    correlation_id: r.correlationId,
    occurred_at: r.occurredAt.toISOString(),
    recorded_at: r.recordedAt.toISOString(),
    data: r.data,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

import { Injectable, Logger } from '@nestjs/common';
import { DataSource, QueryFailedError } from 'typeorm';
import {
  escapeAuditJson,
  escapeAuditText,
  type AuditEvent,
  type EventEnvelope,
  type RequestMap,
  type ReplyMap,
} from '@convergio/contracts';
import { AUDIT_SCHEMA } from '../audit.schema.js';
import { AuditRecord } from './audit-record.entity.js';

/** Persists every event once (the event id is unique) and answers filtered, paginated queries. */
@Injectable()
export class AuditService {
  private readonly log = new Logger(AuditService.name);

  constructor(private readonly dataSource: DataSource) {}

  /**
   * Stores one event, every string in the audit log's escaped form (`escapeAuditText`), so no
   * text a plugin controls can make the insert fail. Should the database still refuse the data,
   * the event is stored as an `unstorable` record holding its data as base64 JSON: never dropped.
   */
  async record(event: EventEnvelope): Promise<void> {
    const data = escapeAuditJson(event.data) as Record<string, unknown>;
    try {
      await this.insert(event, data);
    } catch (error) {
      if (!isDataError(error)) throw error;
      this.log.error(
        `${event.type} ${event.id}: the database refused its data (${String(error)}); stored as unstorable`,
      );
      // Only what cannot fail is kept as it is; the event's own time may be what was refused.
      await this.insert(
        { ...event, occurred_at: new Date().toISOString() },
        {
          plugin_id: data.plugin_id,
          version: data.version,
          unstorable: {
            error: escapeAuditText(String(error)).slice(0, 2000),
            occurred_at: escapeAuditText(event.occurred_at),
            data_json_base64: Buffer.from(JSON.stringify(event.data)).toString('base64'),
          },
        },
      );
    }
  }

  private async insert(event: EventEnvelope, data: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${AUDIT_SCHEMA}.events (event_id, type, source, plugin_id, version, correlation_id, occurred_at, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
      [
        event.id,
        escapeAuditText(event.type),
        escapeAuditText(event.source),
        typeof data.plugin_id === 'string' ? data.plugin_id : null,
        typeof data.version === 'string' ? data.version : null,
        escapeAuditText(event.correlation_id),
        event.occurred_at,
        JSON.stringify(data),
      ],
    );
  }

  async query(q: RequestMap['audit.query']): Promise<ReplyMap['audit.query']> {
    const qb = this.dataSource
      .getRepository(AuditRecord)
      .createQueryBuilder('e')
      .orderBy('e.seq', 'ASC')
      .take(q.limit + 1);
    // Stored text is escaped: so are the values it is compared with.
    if (q.plugin_id)
      qb.andWhere('e.plugin_id = :pluginId', { pluginId: escapeAuditText(q.plugin_id) });
    if (q.version) qb.andWhere('e.version = :version', { version: escapeAuditText(q.version) });
    if (q.type) qb.andWhere('e.type = :type', { type: escapeAuditText(q.type) });
    if (q.after_seq !== undefined) qb.andWhere('e.seq > :after', { after: q.after_seq });
    const rows = await qb.getMany();
    const page = rows.slice(0, q.limit);
    return {
      events: page.map(toEvent),
      next_after_seq: rows.length > q.limit ? Number(page[page.length - 1].seq) : null,
    };
  }
}

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
  };
}

/**
 * PostgreSQL's data exceptions (class 22: bad encoding, bad JSON, value too long) and program
 * limits (class 54): retrying the same event would fail the same way.
 */
function isDataError(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const code = (error.driverError as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code.startsWith('54'));
}

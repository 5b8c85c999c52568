import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { AuditEvent, EventEnvelope, RequestMap, ReplyMap } from '@convergio/contracts';
import { AUDIT_SCHEMA } from '../audit.schema.js';
import { AuditRecord } from './audit-record.entity.js';

/** Persists every event once (the event id is unique) and answers filtered, paginated queries. */
@Injectable()
export class AuditService {
  constructor(private readonly dataSource: DataSource) {}

  async record(event: EventEnvelope): Promise<void> {
    const data = event.data as Record<string, unknown>;
    await this.dataSource.query(
      `INSERT INTO ${AUDIT_SCHEMA}.events (event_id, type, source, plugin_id, version, correlation_id, occurred_at, data)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (event_id) DO NOTHING`,
      [
        event.id,
        event.type,
        event.source,
        typeof data.plugin_id === 'string' ? data.plugin_id : null,
        typeof data.version === 'string' ? data.version : null,
        event.correlation_id,
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
    if (q.plugin_id) qb.andWhere('e.plugin_id = :pluginId', { pluginId: q.plugin_id });
    if (q.version) qb.andWhere('e.version = :version', { version: q.version });
    if (q.type) qb.andWhere('e.type = :type', { type: q.type });
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

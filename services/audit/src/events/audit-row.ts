import { escapeAuditJson, escapeAuditText, type EventEnvelope } from '@convergio/contracts';
import type { ChainedRecord } from '../chain/record-hash.js';

/** A record before it takes its place in the chain. */
export type AuditRow = Omit<ChainedRecord, 'seq' | 'prev_hash' | 'recorded_at'>;

const MAX_ERROR_LENGTH = 2000;

/**
 * The record of an event, every string in the audit log's escaped form (`escapeAuditText`) so
 * that no text a plugin controls can make the insert fail. Times are kept to the millisecond in
 * UTC, the form the chain hashes; a time JavaScript cannot represent makes it `unstorable`.
 */
export function auditRowOf(event: EventEnvelope): AuditRow {
  const occurred = new Date(event.occurred_at);
  if (Number.isNaN(occurred.getTime()))
    return unstorableRowOf(event, `occurred_at ${event.occurred_at} is not a representable time`);
  const data = escapeAuditJson(event.data) as Record<string, unknown>;
  return {
    event_id: event.id.toLowerCase(),
    type: escapeAuditText(event.type),
    source: escapeAuditText(event.source),
    plugin_id: typeof data.plugin_id === 'string' ? data.plugin_id : null,
    version: typeof data.version === 'string' ? data.version : null,
    correlation_id: escapeAuditText(event.correlation_id),
    occurred_at: occurred.toISOString(),
    data,
  };
}

/**
 * The record of an event whose data the database refused: only what cannot fail is kept as it
 * is (the event's own time may be what was refused), its data as base64 JSON. Never dropped.
 */
export function unstorableRowOf(event: EventEnvelope, error: string): AuditRow {
  const data = escapeAuditJson(event.data) as Record<string, unknown>;
  return {
    event_id: event.id.toLowerCase(),
    type: escapeAuditText(event.type),
    source: escapeAuditText(event.source),
    plugin_id: typeof data.plugin_id === 'string' ? data.plugin_id : null,
    version: typeof data.version === 'string' ? data.version : null,
    correlation_id: escapeAuditText(event.correlation_id),
    occurred_at: new Date().toISOString(),
    data: {
      ...(data.plugin_id === undefined ? {} : { plugin_id: data.plugin_id }),
      ...(data.version === undefined ? {} : { version: data.version }),
      unstorable: {
        error: escapeAuditText(error).slice(0, MAX_ERROR_LENGTH),
        occurred_at: escapeAuditText(event.occurred_at),
        data_json_base64: Buffer.from(JSON.stringify(event.data)).toString('base64'),
      },
    },
  };
}

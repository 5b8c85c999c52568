import { escapeAuditJson, escapeAuditText, type EventEnvelope } from '@convergio/contracts';
import { contentHash, type RecordContent } from '../chain/record-hash.js';

/** A record ready to take its place in the chain: its content and the hash of it. */
export interface PreparedRecord {
  event: EventEnvelope;
  content: RecordContent;
  content_sha256: string;
}

const MAX_ERROR_LENGTH = 2000;

/**
 * The record of an event received at `recordedAt`, every string in the audit log's escaped form
 * (`escapeAuditText`) so that no text a plugin controls can make the insert fail. Times are kept
 * to the millisecond in UTC, the form the chain hashes. An event whose time JavaScript cannot
 * represent, or whose data cannot be canonicalized, is prepared `unstorable`.
 */
export function prepareRecord(event: EventEnvelope, recordedAt: string): PreparedRecord {
  const occurred = new Date(event.occurred_at);
  if (Number.isNaN(occurred.getTime()))
    return prepareUnstorable(
      event,
      recordedAt,
      `occurred_at ${event.occurred_at} is not a representable time`,
    );
  const data = escapeAuditJson(event.data) as Record<string, unknown>;
  const content: RecordContent = {
    ...identityOf(event, data),
    occurred_at: occurred.toISOString(),
    recorded_at: recordedAt,
    data,
  };
  try {
    return { event, content, content_sha256: contentHash(content) };
  } catch (error) {
    return prepareUnstorable(event, recordedAt, String(error));
  }
}

/**
 * The record of an event whose data the database (or the canonicalizer) refused: only what
 * cannot fail is kept as it is (the event's own time may be what was refused), its data as
 * base64 JSON. Never dropped.
 */
export function prepareUnstorable(
  event: EventEnvelope,
  recordedAt: string,
  error: string,
): PreparedRecord {
  const data = escapeAuditJson(event.data) as Record<string, unknown>;
  const content: RecordContent = {
    ...identityOf(event, data),
    occurred_at: recordedAt,
    recorded_at: recordedAt,
    data: {
      ...(typeof data.plugin_id === 'string' ? { plugin_id: data.plugin_id } : {}),
      ...(typeof data.version === 'string' ? { version: data.version } : {}),
      unstorable: {
        error: escapeAuditText(error).slice(0, MAX_ERROR_LENGTH),
        occurred_at: escapeAuditText(event.occurred_at),
        data_json_base64: Buffer.from(JSON.stringify(event.data)).toString('base64'),
      },
    },
  };
  return { event, content, content_sha256: contentHash(content) };
}

function identityOf(event: EventEnvelope, data: Record<string, unknown>) {
  return {
    event_id: event.id.toLowerCase(),
    type: escapeAuditText(event.type),
    source: escapeAuditText(event.source),
    plugin_id: typeof data.plugin_id === 'string' ? data.plugin_id : null,
    version: typeof data.version === 'string' ? data.version : null,
    correlation_id: escapeAuditText(event.correlation_id),
  };
}

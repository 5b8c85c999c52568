import { PROCESSED_EVENTS_TABLE } from './processed-event.entity.js';
import { quoteSchemaName } from './schema-name.js';

/** SQL for a migration's `up()` that creates `<schema>.processed_events` (run after `CREATE SCHEMA`). */
export function createProcessedEventsTableSql(schema: string): string {
  return `CREATE TABLE ${quoteSchemaName(schema)}.${PROCESSED_EVENTS_TABLE} (
  consumer text NOT NULL,
  event_id uuid NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ${PROCESSED_EVENTS_TABLE}_pkey PRIMARY KEY (consumer, event_id)
)`;
}

/** SQL for the matching migration's `down()`. */
export function dropProcessedEventsTableSql(schema: string): string {
  return `DROP TABLE ${quoteSchemaName(schema)}.${PROCESSED_EVENTS_TABLE}`;
}

import { quoteSchemaName } from './schema-name.js';

/** Name of the transactional outbox table inside each service schema that publishes through one. */
export const OUTBOX_TABLE = 'outbox';

/**
 * SQL for a migration's `up()` that creates `<schema>.outbox`: one row per event written in the
 * transaction of the state change it reports, `sent_at` set once JetStream has stored it. The
 * envelope is kept as JSON text: jsonb refuses the `\u0000` and lone surrogate escapes a plugin
 * can put in a denial's target, and the event must be kept whatever it holds.
 */
export function createOutboxTableSql(schema: string): string[] {
  const table = `${quoteSchemaName(schema)}.${OUTBOX_TABLE}`;
  return [
    `CREATE TABLE ${table} (
  seq bigserial NOT NULL,
  event_id uuid NOT NULL,
  subject text NOT NULL,
  envelope text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  CONSTRAINT ${OUTBOX_TABLE}_pkey PRIMARY KEY (seq),
  CONSTRAINT ${OUTBOX_TABLE}_event_id_key UNIQUE (event_id)
)`,
    `CREATE INDEX ${OUTBOX_TABLE}_pending_idx ON ${table} (seq) WHERE sent_at IS NULL`,
    `CREATE INDEX ${OUTBOX_TABLE}_sent_at_idx ON ${table} (sent_at) WHERE sent_at IS NOT NULL`,
  ];
}

/** SQL for the matching migration's `down()`. */
export function dropOutboxTableSql(schema: string): string {
  return `DROP TABLE ${quoteSchemaName(schema)}.${OUTBOX_TABLE}`;
}

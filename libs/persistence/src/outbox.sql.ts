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

/**
 * SQL for a later migration's `up()` that lets one event fail without holding up the others:
 * `attempts` (failed publishes the event itself caused), `last_attempt_at` and `last_error` (when
 * and why the last publish failed, never the event's data), `next_attempt_at` (no retry before;
 * null: now) and `dead_lettered_at` (set aside after too many attempts: no longer retried, kept
 * for an operator).
 * Additive: rows already there keep their state, with no attempt counted.
 */
export function addOutboxDeliveryColumnsSql(schema: string): string[] {
  const name = quoteSchemaName(schema);
  const table = `${name}.${OUTBOX_TABLE}`;
  return [
    `ALTER TABLE ${table}
  ADD COLUMN attempts integer NOT NULL DEFAULT 0,
  ADD COLUMN last_attempt_at timestamptz,
  ADD COLUMN last_error text,
  ADD COLUMN next_attempt_at timestamptz,
  ADD COLUMN dead_lettered_at timestamptz`,
    `DROP INDEX ${name}.${OUTBOX_TABLE}_pending_idx`,
    `CREATE INDEX ${OUTBOX_TABLE}_pending_idx ON ${table} (seq) WHERE sent_at IS NULL AND dead_lettered_at IS NULL`,
    `CREATE INDEX ${OUTBOX_TABLE}_dead_lettered_idx ON ${table} (seq) WHERE dead_lettered_at IS NOT NULL`,
  ];
}

/** SQL for the matching migration's `down()`: the table as {@link createOutboxTableSql} made it. */
export function dropOutboxDeliveryColumnsSql(schema: string): string[] {
  const name = quoteSchemaName(schema);
  const table = `${name}.${OUTBOX_TABLE}`;
  return [
    `DROP INDEX ${name}.${OUTBOX_TABLE}_dead_lettered_idx`,
    `DROP INDEX ${name}.${OUTBOX_TABLE}_pending_idx`,
    `CREATE INDEX ${OUTBOX_TABLE}_pending_idx ON ${table} (seq) WHERE sent_at IS NULL`,
    `ALTER TABLE ${table} DROP COLUMN attempts, DROP COLUMN last_attempt_at, DROP COLUMN last_error, DROP COLUMN next_attempt_at, DROP COLUMN dead_lettered_at`,
  ];
}

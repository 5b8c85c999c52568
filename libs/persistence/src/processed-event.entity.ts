import { Column, Entity, PrimaryColumn } from 'typeorm';
import { quoteSchemaName } from './schema-name.js';

/** Marker that one consumer has handled one event; its primary key makes handling idempotent. */
export interface ProcessedEvent {
  consumer: string;
  eventId: string;
  processedAt: Date;
}

/** A class TypeORM maps to `<schema>.processed_events`. */
export type ProcessedEventEntity = new () => ProcessedEvent;

/** Name of the idempotency table inside each service schema. */
export const PROCESSED_EVENTS_TABLE = 'processed_events';

const entities = new Map<string, ProcessedEventEntity>();

/**
 * The `processed_events` entity of one service schema; the same class is returned for the same schema,
 * since TypeORM keys metadata by class and the standalone DataSource maps several schemas at once.
 */
export function processedEventEntity(schema: string): ProcessedEventEntity {
  const existing = entities.get(schema);
  if (existing) return existing;
  quoteSchemaName(schema);

  class ProcessedEventRow implements ProcessedEvent {
    consumer!: string;
    eventId!: string;
    processedAt!: Date;
  }
  Object.defineProperty(ProcessedEventRow, 'name', { value: `ProcessedEvent_${schema}` });
  const pk = `${PROCESSED_EVENTS_TABLE}_pkey`;
  PrimaryColumn({ type: 'text', name: 'consumer', primaryKeyConstraintName: pk })(
    ProcessedEventRow.prototype,
    'consumer',
  );
  PrimaryColumn({ type: 'uuid', name: 'event_id', primaryKeyConstraintName: pk })(
    ProcessedEventRow.prototype,
    'eventId',
  );
  Column({ type: 'timestamptz', name: 'processed_at', default: () => 'now()' })(
    ProcessedEventRow.prototype,
    'processedAt',
  );
  Entity({ schema, name: PROCESSED_EVENTS_TABLE })(ProcessedEventRow);

  entities.set(schema, ProcessedEventRow);
  return ProcessedEventRow;
}

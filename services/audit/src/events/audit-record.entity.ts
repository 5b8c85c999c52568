import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { AUDIT_SCHEMA } from '../audit.schema.js';

/** One event as the audit log keeps it; rows are only ever inserted. */
@Entity({ schema: AUDIT_SCHEMA, name: 'events' })
@Index('events_event_id_key', ['eventId'], { unique: true })
@Index('events_plugin_idx', ['pluginId', 'version', 'seq'])
@Index('events_type_idx', ['type', 'seq'])
export class AuditRecord {
  @PrimaryGeneratedColumn({ type: 'bigint', primaryKeyConstraintName: 'events_pkey' })
  seq!: string;

  @Column({ type: 'uuid', name: 'event_id' })
  eventId!: string;

  @Column({ type: 'text' })
  type!: string;

  @Column({ type: 'text' })
  source!: string;

  @Column({ type: 'text', name: 'plugin_id', nullable: true })
  pluginId!: string | null;

  @Column({ type: 'text', nullable: true })
  version!: string | null;

  @Column({ type: 'text', name: 'correlation_id' })
  correlationId!: string;

  @Column({ type: 'timestamptz', name: 'occurred_at' })
  occurredAt!: Date;

  @Column({ type: 'timestamptz', name: 'recorded_at', default: () => 'now()' })
  recordedAt!: Date;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;
}

import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { AUDIT_SCHEMA } from '../audit.schema.js';

/** One event as the audit log keeps it, a link of its hash chain; rows are only ever inserted. */
@Entity({ schema: AUDIT_SCHEMA, name: 'events' })
@Index('events_event_id_key', ['eventId'], { unique: true })
@Index('events_plugin_idx', ['pluginId', 'version', 'seq'])
@Index('events_type_idx', ['type', 'seq'])
@Index('events_occurred_idx', ['occurredAt', 'seq'])
export class AuditRecord {
  @PrimaryColumn({ type: 'bigint', primaryKeyConstraintName: 'events_pkey' })
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

  /** The hash of the record before (64 zeros for the first): hex SHA-256. */
  @Column({ type: 'text', name: 'prev_hash' })
  prevHash!: string;

  /** SHA-256 of this record's canonical form, `prev_hash` included (see recordHash). */
  @Column({ type: 'text' })
  hash!: string;
}

import { Column, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Finding, Manifest, Trust } from '@convergio/contracts';
import { EXECUTOR_SCHEMA } from '../executor.schema.js';
import type { VersionRecordStatus } from './version-record-status.js';
import type { VersionRecord } from './version-record.js';

/** A version's record as the executor's table keeps it, with its operator policy verdict. */
@Entity({ schema: EXECUTOR_SCHEMA, name: 'plugin_versions' })
@Index('plugin_versions_status_idx', ['pluginId', 'status', 'approvedAt'])
export class VersionRecordRow implements VersionRecord {
  @PrimaryColumn({
    type: 'text',
    name: 'plugin_id',
    primaryKeyConstraintName: 'plugin_versions_pkey',
  })
  pluginId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'plugin_versions_pkey' })
  version!: string;

  @Column({ type: 'text' })
  status!: VersionRecordStatus;

  @Column({ type: 'jsonb', nullable: true })
  manifest!: Manifest | null;

  @Column({ type: 'text', name: 'module_sha256' })
  moduleSha256!: string;

  @Column({ type: 'text', nullable: true })
  trust!: Trust | null;

  /** The operator policy rules the version breaks, as last announced (plugin.policy_checked). */
  @Column({ type: 'jsonb', name: 'policy_violations', default: () => "'[]'" })
  policyViolations!: Finding[];

  @Column({ type: 'text', nullable: true })
  publisher!: string | null;

  @Column({ type: 'timestamptz', name: 'approved_at', nullable: true })
  approvedAt!: Date | null;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

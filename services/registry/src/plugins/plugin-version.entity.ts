import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Finding, LoadFailure, Trust, VersionStatus } from '@convergio/contracts';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** One submitted version of a plugin and where it is in its lifecycle. */
@Entity({ schema: REGISTRY_SCHEMA, name: 'plugin_versions' })
@Index('plugin_versions_status_idx', ['status'])
export class PluginVersion {
  @PrimaryColumn({
    type: 'text',
    name: 'plugin_id',
    primaryKeyConstraintName: 'plugin_versions_pkey',
  })
  pluginId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'plugin_versions_pkey' })
  version!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text' })
  status!: VersionStatus;

  @Column({ type: 'text', nullable: true })
  trust!: Trust | null;

  @Column({ type: 'jsonb' })
  manifest!: Record<string, unknown>;

  @Column({ type: 'text', name: 'module_sha256' })
  moduleSha256!: string;

  @Column({ type: 'integer', name: 'module_size' })
  moduleSize!: number;

  /** The SBOM submitted with the version, in the artifact store by this hash; null when none was. */
  @Column({ type: 'text', name: 'sbom_sha256', nullable: true })
  sbomSha256!: string | null;

  @Column({ type: 'integer', name: 'sbom_size', nullable: true })
  sbomSize!: number | null;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  findings!: Finding[];

  /** Operator policy rules the approved version breaks (plugin.policy_checked); it does not run. */
  @Column({ type: 'jsonb', name: 'policy_violations', default: () => "'[]'" })
  policyViolations!: Finding[];

  /** Executor instances running the version. */
  @Column({ type: 'text', array: true, name: 'loaded_on', default: () => "'{}'" })
  loadedOn!: string[];

  /** Why an executor last failed to load the version; cleared when one loads it. */
  @Column({ type: 'jsonb', name: 'load_failure', nullable: true })
  loadFailure!: LoadFailure | null;

  /**
   * When the version was first approved; kept when it is revoked, because no later submission
   * may go below a version that was ever approved.
   */
  @Column({ type: 'timestamptz', name: 'approved_at', nullable: true })
  approvedAt!: Date | null;

  @Column({ type: 'text', name: 'submitted_by' })
  submittedBy!: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'submitted_at' })
  submittedAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

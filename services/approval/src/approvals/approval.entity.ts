import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type {
  ApprovalRecord,
  ApprovalStatus,
  Finding,
  Manifest,
  SignedBy,
  Trust,
} from '@convergio/contracts';
import type { PermissionDiff } from '@convergio/manifest';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/** The review of one verified plugin version. */
@Entity({ schema: APPROVAL_SCHEMA, name: 'approvals' })
@Index('approvals_status_idx', ['status', 'requestedAt'])
export class Approval {
  @PrimaryColumn({ type: 'text', name: 'plugin_id', primaryKeyConstraintName: 'approvals_pkey' })
  pluginId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'approvals_pkey' })
  version!: string;

  @Column({ type: 'text' })
  status!: ApprovalStatus;

  @Column({ type: 'text' })
  trust!: Trust;

  /** The keyring signer that signed the version; null when unsigned. */
  @Column({ type: 'jsonb', name: 'signed_by', nullable: true })
  signedBy!: SignedBy | null;

  @Column({ type: 'jsonb' })
  manifest!: Manifest;

  @Column({ type: 'text', name: 'module_sha256' })
  moduleSha256!: string;

  @Column({ type: 'jsonb', name: 'high_risk' })
  highRisk!: string[];

  @Column({ type: 'jsonb', name: 'permission_diff' })
  permissionDiff!: PermissionDiff;

  @Column({ type: 'text', name: 'previous_approved_version', nullable: true })
  previousApprovedVersion!: string | null;

  @Column({ type: 'timestamptz', name: 'requested_at' })
  requestedAt!: Date;

  @Column({ type: 'timestamptz', name: 'decided_at', nullable: true })
  decidedAt!: Date | null;

  @Column({ type: 'text', name: 'decided_by', nullable: true })
  decidedBy!: string | null;

  @Column({ type: 'text', nullable: true })
  note!: string | null;

  /** The API key id that submitted the version; null for reviews made before it was kept. */
  @Column({ type: 'text', name: 'submitted_by', nullable: true })
  submittedBy!: string | null;

  /**
   * Who issued the secret that submitted (the API key id that created or rotated it, `gateway`
   * for the bootstrap admin key); null when unknown. It may not approve the version either.
   */
  @Column({ type: 'text', name: 'submitted_by_issuer', nullable: true })
  submittedByIssuer!: string | null;

  /** The publisher the submitting key submits for. */
  @Column({ type: 'text', nullable: true })
  publisher!: string | null;

  /** What verification found. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  findings!: Finding[];

  /** Admin approvals recorded so far, in order (a version may need two). */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  approvals!: ApprovalRecord[];
}

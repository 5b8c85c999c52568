import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { Finding } from '@convergio/contracts';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

/** The outcome of the load-time checks of one plugin version. */
@Entity({ schema: VERIFICATION_SCHEMA, name: 'verifications' })
export class VerificationRecord {
  @PrimaryColumn({
    type: 'text',
    name: 'plugin_id',
    primaryKeyConstraintName: 'verifications_pkey',
  })
  pluginId!: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'verifications_pkey' })
  version!: string;

  @Column({ type: 'text' })
  outcome!: 'verified' | 'rejected';

  @Column({ type: 'text', name: 'module_sha256' })
  moduleSha256!: string;

  @Column({ type: 'jsonb' })
  findings!: Finding[];

  @CreateDateColumn({ type: 'timestamptz', name: 'checked_at' })
  checkedAt!: Date;
}

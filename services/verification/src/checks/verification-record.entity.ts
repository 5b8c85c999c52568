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

  /** The keyring signer and key whose signature verified; null when unsigned or refused. */
  @Column({ type: 'text', name: 'signer_id', nullable: true })
  signerId!: string | null;

  @Column({ type: 'text', name: 'key_id', nullable: true })
  keyId!: string | null;

  /** Hex SHA-256 of the manifest's canonical bytes; null when it could not be read. */
  @Column({ type: 'text', name: 'manifest_digest', nullable: true })
  manifestDigest!: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'checked_at' })
  checkedAt!: Date;
}

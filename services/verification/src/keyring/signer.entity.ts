import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { SignerTrust } from '@convergio/contracts';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

/** A signer of the keyring. Revoking keeps the row: what it signed stays refused. */
@Entity({ schema: VERIFICATION_SCHEMA, name: 'signers' })
export class Signer {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'signers_pkey' })
  id!: string;

  @Column({ type: 'text' })
  trust!: SignerTrust;

  @Column({ type: 'text', name: 'added_by' })
  addedBy!: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'added_at' })
  addedAt!: Date;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @Column({ type: 'text', name: 'revoked_by', nullable: true })
  revokedBy!: string | null;
}

import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

/** One public key a signer has had; the current one has no `rotatedAt`. */
@Entity({ schema: VERIFICATION_SCHEMA, name: 'signer_keys' })
export class SignerKey {
  /** Hex SHA-256 of the public key's 32 bytes. */
  @PrimaryColumn({ type: 'text', name: 'key_id', primaryKeyConstraintName: 'signer_keys_pkey' })
  keyId!: string;

  @Column({ type: 'text', name: 'signer_id' })
  signerId!: string;

  /** The 32 bytes as unpadded base64url. */
  @Column({ type: 'text', name: 'public_key' })
  publicKey!: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'added_at' })
  addedAt!: Date;

  @Column({ type: 'timestamptz', name: 'rotated_at', nullable: true })
  rotatedAt!: Date | null;
}

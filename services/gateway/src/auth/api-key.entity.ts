import { Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';
import type { Role } from './roles.js';

/** An API key; only its SHA-256 is stored, the key itself is shown once. */
@Entity({ schema: GATEWAY_SCHEMA, name: 'api_keys' })
@Index('api_keys_key_hash_key', ['keyHash'], { unique: true })
export class ApiKey {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'api_keys_pkey' })
  id!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ type: 'text', name: 'key_hash', select: false })
  keyHash!: string;

  @Column({ type: 'text', array: true })
  roles!: Role[];

  /** The publisher a publisher key submits for; null for every other key. */
  @Column({ type: 'text', nullable: true })
  publisher!: string | null;

  /**
   * Who issued the current secret: the admin key id that created the key, the key id that last
   * rotated it, `gateway` for the bootstrap admin key; null for keys from before it was kept.
   * Whoever issued a secret held it, so separation of duties counts them as its user.
   */
  @Column({ type: 'text', name: 'issued_by', nullable: true })
  issuedBy!: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;
}

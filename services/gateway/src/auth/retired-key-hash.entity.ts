import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';

/**
 * The hash of a secret an API key had before a rotation: accepted for the key until
 * `validUntil`, and kept after that so that CONVERGIO_ADMIN_KEY never brings it back.
 */
@Entity({ schema: GATEWAY_SCHEMA, name: 'retired_key_hashes' })
@Index('retired_key_hashes_key_id_idx', ['keyId'])
export class RetiredKeyHash {
  @PrimaryColumn({
    type: 'text',
    name: 'key_hash',
    primaryKeyConstraintName: 'retired_key_hashes_pkey',
  })
  keyHash!: string;

  @Column({ type: 'uuid', name: 'key_id' })
  keyId!: string;

  @Column({ type: 'timestamptz', name: 'retired_at' })
  retiredAt!: Date;

  @Column({ type: 'timestamptz', name: 'valid_until' })
  validUntil!: Date;

  /** Who issued this secret (the key's `issued_by` when it was rotated out); null if unknown. */
  @Column({ type: 'text', name: 'issued_by', nullable: true })
  issuedBy!: string | null;
}

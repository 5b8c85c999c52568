import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/**
 * Key continuity as approval keeps it: the signer a plugin id's versions must be signed by to be
 * approved, set when a signed version is approved and when an admin accepts a change
 * (plugin.signer_changed; `signerId` null: any signer, or none).
 */
@Entity({ schema: APPROVAL_SCHEMA, name: 'accepted_signers' })
export class AcceptedSigner {
  @PrimaryColumn({
    type: 'text',
    name: 'plugin_id',
    primaryKeyConstraintName: 'accepted_signers_pkey',
  })
  pluginId!: string;

  @Column({ type: 'text', name: 'signer_id', nullable: true })
  signerId!: string | null;

  @UpdateDateColumn({ type: 'timestamptz', name: 'set_at' })
  setAt!: Date;
}

import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

/**
 * Key continuity: the signer a plugin id's next versions must be signed by, set when a signed
 * version is approved or by an admin (`signerId` null: an admin accepted unsigned versions).
 */
@Entity({ schema: VERIFICATION_SCHEMA, name: 'plugin_signers' })
export class PluginSigner {
  @PrimaryColumn({
    type: 'text',
    name: 'plugin_id',
    primaryKeyConstraintName: 'plugin_signers_pkey',
  })
  pluginId!: string;

  @Column({ type: 'text', name: 'signer_id', nullable: true })
  signerId!: string | null;

  @Column({ type: 'text', name: 'set_by' })
  setBy!: string;

  @UpdateDateColumn({ type: 'timestamptz', name: 'set_at' })
  setAt!: Date;
}

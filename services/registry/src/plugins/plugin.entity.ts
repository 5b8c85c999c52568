import { Column, CreateDateColumn, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** A plugin id and the publisher that owns it: only the owner may submit versions of it. */
@Entity({ schema: REGISTRY_SCHEMA, name: 'plugins' })
export class Plugin {
  @PrimaryColumn({ type: 'text', name: 'plugin_id', primaryKeyConstraintName: 'plugins_pkey' })
  pluginId!: string;

  /** A publisher name, or `key:<key id>` for an id claimed before keys had publishers. */
  @Column({ type: 'text' })
  owner!: string;

  /**
   * The version served by default (`servingVersion` of the approved versions), null when none is
   * approved; kept current by refreshServingVersion in every transaction that changes a status.
   */
  @Column({ type: 'text', name: 'serving_version', nullable: true })
  servingVersion!: string | null;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt!: Date;
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxDeliveryColumnsSql, dropOutboxDeliveryColumnsSql } from '@convergio/persistence';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** Per-event attempts and dead letters in the outbox: one unpublishable event blocks no other (ADR 0016). */
export class RegistryOutboxDeadLetters1766600000000 implements MigrationInterface {
  name = 'RegistryOutboxDeadLetters1766600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of addOutboxDeliveryColumnsSql(REGISTRY_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropOutboxDeliveryColumnsSql(REGISTRY_SCHEMA)) await q.query(sql);
  }
}

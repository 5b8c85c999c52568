import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxDeliveryColumnsSql, dropOutboxDeliveryColumnsSql } from '@convergio/persistence';
import { SECRET_BROKER_SCHEMA } from '../secret-broker.schema.js';

/** Per-event attempts and dead letters in the outbox: one unpublishable event blocks no other (ADR 0016). */
export class SecretBrokerOutboxDeadLetters1766600000000 implements MigrationInterface {
  name = 'SecretBrokerOutboxDeadLetters1766600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of addOutboxDeliveryColumnsSql(SECRET_BROKER_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropOutboxDeliveryColumnsSql(SECRET_BROKER_SCHEMA)) await q.query(sql);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxDeliveryColumnsSql, dropOutboxDeliveryColumnsSql } from '@convergio/persistence';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

/** Per-event attempts and dead letters in the outbox: one unpublishable event blocks no other (ADR 0016). */
export class VerificationOutboxDeadLetters1766600000000 implements MigrationInterface {
  name = 'VerificationOutboxDeadLetters1766600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of addOutboxDeliveryColumnsSql(VERIFICATION_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropOutboxDeliveryColumnsSql(VERIFICATION_SCHEMA)) await q.query(sql);
  }
}

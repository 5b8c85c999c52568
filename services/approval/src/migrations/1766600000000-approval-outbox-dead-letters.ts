import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxDeliveryColumnsSql, dropOutboxDeliveryColumnsSql } from '@convergio/persistence';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/** Per-event attempts and dead letters in the outbox: one unpublishable event blocks no other (ADR 0016). */
export class ApprovalOutboxDeadLetters1766600000000 implements MigrationInterface {
  name = 'ApprovalOutboxDeadLetters1766600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of addOutboxDeliveryColumnsSql(APPROVAL_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropOutboxDeliveryColumnsSql(APPROVAL_SCHEMA)) await q.query(sql);
  }
}

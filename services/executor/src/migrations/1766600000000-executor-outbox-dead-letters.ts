import type { MigrationInterface, QueryRunner } from 'typeorm';
import { addOutboxDeliveryColumnsSql, dropOutboxDeliveryColumnsSql } from '@convergio/persistence';
import { EXECUTOR_SCHEMA } from '../executor.schema.js';

/** Per-event attempts and dead letters in the outbox: one unpublishable event blocks no other (ADR 0016). */
export class ExecutorOutboxDeadLetters1766600000000 implements MigrationInterface {
  name = 'ExecutorOutboxDeadLetters1766600000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of addOutboxDeliveryColumnsSql(EXECUTOR_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const sql of dropOutboxDeliveryColumnsSql(EXECUTOR_SCHEMA)) await q.query(sql);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTableSql, dropOutboxTableSql } from '@convergio/persistence';
import { APPROVAL_SCHEMA } from '../approval.schema.js';

/** The transactional outbox: events written with the state change they report (ADR 0016). */
export class ApprovalOutbox1765100000000 implements MigrationInterface {
  name = 'ApprovalOutbox1765100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of createOutboxTableSql(APPROVAL_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(dropOutboxTableSql(APPROVAL_SCHEMA));
  }
}

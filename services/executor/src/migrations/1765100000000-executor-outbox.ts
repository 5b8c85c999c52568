import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTableSql, dropOutboxTableSql } from '@convergio/persistence';
import { EXECUTOR_SCHEMA } from '../executor.schema.js';

/** The transactional outbox: events written with the state change they report (ADR 0016). */
export class ExecutorOutbox1765100000000 implements MigrationInterface {
  name = 'ExecutorOutbox1765100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of createOutboxTableSql(EXECUTOR_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(dropOutboxTableSql(EXECUTOR_SCHEMA));
  }
}

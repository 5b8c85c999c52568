import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTableSql, dropOutboxTableSql } from '@convergio/persistence';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

/** The transactional outbox: events written with the state change they report (ADR 0016). */
export class VerificationOutbox1766500000000 implements MigrationInterface {
  name = 'VerificationOutbox1766500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of createOutboxTableSql(VERIFICATION_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(dropOutboxTableSql(VERIFICATION_SCHEMA));
  }
}

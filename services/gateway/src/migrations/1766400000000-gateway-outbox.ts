import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTableSql, dropOutboxTableSql } from '@convergio/persistence';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';

/** The transactional outbox: API-key events written with the change they report (ADR 0016). */
export class GatewayOutbox1766400000000 implements MigrationInterface {
  name = 'GatewayOutbox1766400000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of createOutboxTableSql(GATEWAY_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(dropOutboxTableSql(GATEWAY_SCHEMA));
  }
}

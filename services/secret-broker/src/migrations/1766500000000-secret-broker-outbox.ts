import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTableSql, dropOutboxTableSql } from '@convergio/persistence';
import { SECRET_BROKER_SCHEMA } from '../secret-broker.schema.js';

/** The transactional outbox: events written with the state change they report (ADR 0016). */
export class SecretBrokerOutbox1766500000000 implements MigrationInterface {
  name = 'SecretBrokerOutbox1766500000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of createOutboxTableSql(SECRET_BROKER_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(dropOutboxTableSql(SECRET_BROKER_SCHEMA));
  }
}

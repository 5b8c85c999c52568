import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createOutboxTableSql, dropOutboxTableSql } from '@convergio/persistence';
import { REGISTRY_SCHEMA } from '../registry.schema.js';

/** The transactional outbox: events written with the state change they report (ADR 0016). */
export class RegistryOutbox1765100000000 implements MigrationInterface {
  name = 'RegistryOutbox1765100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const sql of createOutboxTableSql(REGISTRY_SCHEMA)) await q.query(sql);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(dropOutboxTableSql(REGISTRY_SCHEMA));
  }
}

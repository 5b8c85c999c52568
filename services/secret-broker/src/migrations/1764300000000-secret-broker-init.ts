import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createProcessedEventsTableSql } from '@convergio/persistence';
import { SECRET_BROKER_SCHEMA } from '../secret-broker.schema.js';

export class SecretBrokerInit1764300000000 implements MigrationInterface {
  name = 'SecretBrokerInit1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${SECRET_BROKER_SCHEMA}`);
    await q.query(createProcessedEventsTableSql(SECRET_BROKER_SCHEMA));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${SECRET_BROKER_SCHEMA} CASCADE`);
  }
}

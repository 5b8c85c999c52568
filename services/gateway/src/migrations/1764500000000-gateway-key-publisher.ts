import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';

/** Publisher keys belong to a publisher, which owns the plugin ids it submits first. */
export class GatewayKeyPublisher1764500000000 implements MigrationInterface {
  name = 'GatewayKeyPublisher1764500000000';

  async up(q: QueryRunner): Promise<void> {
    // Existing publisher keys get none: they cannot submit until an admin issues publisher keys.
    await q.query(`ALTER TABLE ${GATEWAY_SCHEMA}.api_keys ADD COLUMN publisher text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${GATEWAY_SCHEMA}.api_keys DROP COLUMN publisher`);
  }
}

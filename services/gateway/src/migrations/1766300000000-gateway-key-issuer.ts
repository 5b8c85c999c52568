import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';

/**
 * Who issued each API key secret, current and rotated out (separation of duties: whoever issued a
 * secret held it). Keys and secrets from before it was kept get null (unknown).
 */
export class GatewayKeyIssuer1766300000000 implements MigrationInterface {
  name = 'GatewayKeyIssuer1766300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${GATEWAY_SCHEMA}.api_keys ADD COLUMN issued_by text`);
    await q.query(`ALTER TABLE ${GATEWAY_SCHEMA}.retired_key_hashes ADD COLUMN issued_by text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE ${GATEWAY_SCHEMA}.retired_key_hashes DROP COLUMN issued_by`);
    await q.query(`ALTER TABLE ${GATEWAY_SCHEMA}.api_keys DROP COLUMN issued_by`);
  }
}

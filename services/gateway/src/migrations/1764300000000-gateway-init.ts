import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';

export class GatewayInit1764300000000 implements MigrationInterface {
  name = 'GatewayInit1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA IF NOT EXISTS ${GATEWAY_SCHEMA}`);
    await q.query(`CREATE TABLE ${GATEWAY_SCHEMA}.api_keys (
      id uuid NOT NULL,
      name text NOT NULL,
      key_hash text NOT NULL,
      roles text[] NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      CONSTRAINT api_keys_pkey PRIMARY KEY (id))`);
    await q.query(
      `CREATE UNIQUE INDEX api_keys_key_hash_key ON ${GATEWAY_SCHEMA}.api_keys (key_hash)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP SCHEMA ${GATEWAY_SCHEMA} CASCADE`);
  }
}

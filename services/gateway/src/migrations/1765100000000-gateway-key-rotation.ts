import type { MigrationInterface, QueryRunner } from 'typeorm';
import { GATEWAY_SCHEMA } from '../gateway.schema.js';

/** Secrets replaced by a key rotation: valid for a grace period, never reusable. */
export class GatewayKeyRotation1765100000000 implements MigrationInterface {
  name = 'GatewayKeyRotation1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE ${GATEWAY_SCHEMA}.retired_key_hashes (
      key_hash text NOT NULL,
      key_id uuid NOT NULL REFERENCES ${GATEWAY_SCHEMA}.api_keys (id),
      retired_at timestamptz NOT NULL,
      valid_until timestamptz NOT NULL,
      CONSTRAINT retired_key_hashes_pkey PRIMARY KEY (key_hash))`);
    await q.query(
      `CREATE INDEX retired_key_hashes_key_id_idx ON ${GATEWAY_SCHEMA}.retired_key_hashes (key_id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${GATEWAY_SCHEMA}.retired_key_hashes`);
  }
}

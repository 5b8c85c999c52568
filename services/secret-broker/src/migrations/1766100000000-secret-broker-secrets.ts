import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SECRET_BROKER_SCHEMA as S } from '../secret-broker.schema.js';

/** The signing key, the secret grants of approved versions, and the embedded store. */
export class SecretBrokerSecrets1766100000000 implements MigrationInterface {
  name = 'SecretBrokerSecrets1766100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE ${S}.signing_keys (name text PRIMARY KEY, private_key_pem text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(
      `CREATE TABLE ${S}.secret_grants (plugin_id text NOT NULL, version text NOT NULL, module_sha256 text NOT NULL, secret_ids jsonb NOT NULL, revoked_at timestamptz, PRIMARY KEY (plugin_id, version))`,
    );
    await q.query(
      `CREATE TABLE ${S}.embedded_secrets (id text PRIMARY KEY, nonce text NOT NULL, ciphertext text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE ${S}.embedded_secrets`);
    await q.query(`DROP TABLE ${S}.secret_grants`);
    await q.query(`DROP TABLE ${S}.signing_keys`);
  }
}

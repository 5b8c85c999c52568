import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SECRET_BROKER_SCHEMA as S } from '../secret-broker.schema.js';

/**
 * Secret ids of the embedded store ignore case, as Azure Key Vault names do: one unique index on
 * lower(id). Rows whose ids differ only in case become one secret, the one written last (what Key
 * Vault would answer after the later write); the others are set aside, still encrypted, in
 * embedded_secrets_case_conflicts, which nothing reads (`down` puts them back).
 */
export class SecretBrokerSecretIdsIgnoreCase1767300000000 implements MigrationInterface {
  name = 'SecretBrokerSecretIdsIgnoreCase1767300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE ${S}.embedded_secrets_case_conflicts (id text PRIMARY KEY, nonce text NOT NULL, ciphertext text NOT NULL, updated_at timestamptz NOT NULL, set_aside_at timestamptz NOT NULL DEFAULT now())`,
    );
    await q.query(
      `WITH ranked AS (
         SELECT id, row_number() OVER (PARTITION BY lower(id) ORDER BY updated_at DESC, id DESC) AS n
         FROM ${S}.embedded_secrets),
       moved AS (
         DELETE FROM ${S}.embedded_secrets e USING ranked r WHERE e.id = r.id AND r.n > 1
         RETURNING e.id, e.nonce, e.ciphertext, e.updated_at)
       INSERT INTO ${S}.embedded_secrets_case_conflicts (id, nonce, ciphertext, updated_at)
       SELECT id, nonce, ciphertext, updated_at FROM moved`,
    );
    await q.query(
      `CREATE UNIQUE INDEX embedded_secrets_id_ignoring_case ON ${S}.embedded_secrets (lower(id))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX ${S}.embedded_secrets_id_ignoring_case`);
    await q.query(
      `INSERT INTO ${S}.embedded_secrets (id, nonce, ciphertext, updated_at)
       SELECT id, nonce, ciphertext, updated_at FROM ${S}.embedded_secrets_case_conflicts
       ON CONFLICT (id) DO NOTHING`,
    );
    await q.query(`DROP TABLE ${S}.embedded_secrets_case_conflicts`);
  }
}

import type { MigrationInterface, QueryRunner } from 'typeorm';
import { VERIFICATION_SCHEMA } from '../verification.schema.js';

/** The keyring, key continuity, and who signed each verified version. */
export class VerificationKeyring1764900000000 implements MigrationInterface {
  name = 'VerificationKeyring1764900000000';

  async up(q: QueryRunner): Promise<void> {
    const s = VERIFICATION_SCHEMA;
    await q.query(`CREATE TABLE ${s}.signers (
      id text NOT NULL,
      trust text NOT NULL,
      added_by text NOT NULL,
      added_at timestamptz NOT NULL DEFAULT now(),
      revoked_at timestamptz,
      revoked_by text,
      CONSTRAINT signers_pkey PRIMARY KEY (id))`);
    await q.query(`CREATE TABLE ${s}.signer_keys (
      key_id text NOT NULL,
      signer_id text NOT NULL REFERENCES ${s}.signers (id),
      public_key text NOT NULL,
      added_at timestamptz NOT NULL DEFAULT now(),
      rotated_at timestamptz,
      CONSTRAINT signer_keys_pkey PRIMARY KEY (key_id))`);
    await q.query(
      `CREATE UNIQUE INDEX signer_keys_one_current ON ${s}.signer_keys (signer_id) WHERE rotated_at IS NULL`,
    );
    await q.query(`CREATE TABLE ${s}.plugin_signers (
      plugin_id text NOT NULL,
      signer_id text,
      set_by text NOT NULL,
      set_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT plugin_signers_pkey PRIMARY KEY (plugin_id))`);
    await q.query(`ALTER TABLE ${s}.verifications
      ADD COLUMN signer_id text, ADD COLUMN key_id text, ADD COLUMN manifest_digest text`);
    await q.query(
      `CREATE INDEX verifications_signer ON ${s}.verifications (signer_id) WHERE signer_id IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    const s = VERIFICATION_SCHEMA;
    await q.query(`ALTER TABLE ${s}.verifications
      DROP COLUMN signer_id, DROP COLUMN key_id, DROP COLUMN manifest_digest`);
    await q.query(`DROP TABLE ${s}.plugin_signers`);
    await q.query(`DROP TABLE ${s}.signer_keys`);
    await q.query(`DROP TABLE ${s}.signers`);
  }
}

import type { DataSource, EntityManager } from 'typeorm';
import { SECRET_BROKER_SCHEMA as S } from '../secret-broker.schema.js';
import { openValue, sealValue } from './sealed-value.js';
import { SecretStoreError, type SecretStore } from './secret-store.js';

/**
 * Secrets in the broker's own table, encrypted at rest with AES-256-GCM under the operator's key
 * (SECRET_STORE_KEY; standalone generates one into its data directory). The key never reaches
 * the database; nonce and ciphertext are stored in base64. Ids ignore case, as Key Vault names
 * do: `API-KEY` and `api-key` are one secret, kept under the id it was last written with.
 */
export class EmbeddedSecretStore implements SecretStore {
  readonly kind = 'embedded';

  constructor(
    private readonly dataSource: DataSource,
    private readonly key: Buffer,
  ) {}

  async get(id: string): Promise<string | undefined> {
    const rows: { id: string; nonce: string; ciphertext: string }[] = await this.dataSource.query(
      `SELECT id, nonce, ciphertext FROM ${S}.embedded_secrets WHERE lower(id) = lower($1)`,
      [id],
    );
    if (rows.length === 0) return undefined;
    try {
      // Sealed for the id the row holds, whatever the case of the one asked for.
      return openValue(this.key, rows[0].id, {
        nonce: Buffer.from(rows[0].nonce, 'base64'),
        ciphertext: Buffer.from(rows[0].ciphertext, 'base64'),
      });
    } catch {
      throw new SecretStoreError(
        'store_failed',
        `secret ${id} does not decrypt under SECRET_STORE_KEY (another key, or a changed row)`,
      );
    }
  }

  /** Stores `value` under `id`, replacing the secret of that id in any case; true if it was new. */
  async put(manager: EntityManager, id: string, value: string): Promise<boolean> {
    const sealed = sealValue(this.key, id, value);
    const rows: { created: boolean }[] = await manager.query(
      `INSERT INTO ${S}.embedded_secrets (id, nonce, ciphertext) VALUES ($1, $2, $3)
       ON CONFLICT ((lower(id))) DO UPDATE SET id = EXCLUDED.id, nonce = EXCLUDED.nonce, ciphertext = EXCLUDED.ciphertext, updated_at = now()
       RETURNING (xmax = 0) AS created`,
      [id, sealed.nonce.toString('base64'), sealed.ciphertext.toString('base64')],
    );
    return rows[0].created;
  }

  /** Deletes `id`, in any case; false if there was none. */
  async delete(manager: EntityManager, id: string): Promise<boolean> {
    // A SELECT: TypeORM answers a bare DELETE with [rows, count] on pg and rows elsewhere.
    const rows: { deleted: number }[] = await manager.query(
      `WITH d AS (DELETE FROM ${S}.embedded_secrets WHERE lower(id) = lower($1) RETURNING id) SELECT count(*)::int AS deleted FROM d`,
      [id],
    );
    return rows[0].deleted > 0;
  }
}

import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { SECRET_BROKER_SCHEMA as S } from '../secret-broker.schema.js';

/** The secrets.read grant of one approved version, as the broker recorded it. */
export interface SecretGrant {
  pluginId: string;
  version: string;
  moduleSha256: string;
  secretIds: string[];
  revoked: boolean;
}

/**
 * The secret grants of approved versions, kept from plugin.approved, plugin.revoked and
 * signer.revoked events in the broker's own table (ADR 0014): the broker never takes a caller's
 * word for what a version was granted.
 */
@Injectable()
export class SecretGrantsRepository {
  constructor(private readonly dataSource: DataSource) {}

  /** Records an approval; a version already revoked stays revoked. */
  async approved(manager: EntityManager, grant: Omit<SecretGrant, 'revoked'>): Promise<void> {
    await manager.query(
      `INSERT INTO ${S}.secret_grants (plugin_id, version, module_sha256, secret_ids) VALUES ($1, $2, $3, $4::jsonb)
       ON CONFLICT (plugin_id, version) DO UPDATE SET module_sha256 = EXCLUDED.module_sha256, secret_ids = EXCLUDED.secret_ids`,
      [grant.pluginId, grant.version, grant.moduleSha256, JSON.stringify(grant.secretIds)],
    );
  }

  /** Records a revocation, even of a version whose approval has not arrived (yet). */
  async revoked(manager: EntityManager, pluginId: string, version: string): Promise<void> {
    await manager.query(
      `INSERT INTO ${S}.secret_grants (plugin_id, version, module_sha256, secret_ids, revoked_at) VALUES ($1, $2, '', '[]'::jsonb, now())
       ON CONFLICT (plugin_id, version) DO UPDATE SET revoked_at = COALESCE(${S}.secret_grants.revoked_at, now())`,
      [pluginId, version],
    );
  }

  /** The grant of a version, or undefined if it was never approved here. */
  async find(pluginId: string, version: string): Promise<SecretGrant | undefined> {
    const rows: {
      module_sha256: string;
      secret_ids: string[];
      revoked_at: Date | null;
    }[] = await this.dataSource.query(
      `SELECT module_sha256, secret_ids, revoked_at FROM ${S}.secret_grants WHERE plugin_id = $1 AND version = $2`,
      [pluginId, version],
    );
    const row = rows[0];
    if (!row || row.module_sha256 === '') return row ? revokedOnly(pluginId, version) : undefined;
    return {
      pluginId,
      version,
      moduleSha256: row.module_sha256,
      secretIds: row.secret_ids,
      revoked: row.revoked_at !== null,
    };
  }
}

function revokedOnly(pluginId: string, version: string): SecretGrant {
  return { pluginId, version, moduleSha256: '', secretIds: [], revoked: true };
}

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError, EventSubjects } from '@convergio/contracts';
import { TransactionalOutbox } from '@convergio/messaging';
import { ApiKey } from './api-key.entity.js';
import { hashKey, newApiKeySecret } from './api-key-secret.js';
import { ApiKeyService } from './api-key.service.js';
import { KeyRevocations } from './key-revocations.js';
import { RetiredKeyHash } from './retired-key-hash.entity.js';
import { requireCurrentSecret, type Principal, type Role } from './roles.js';

/** How long a rotated-out secret stays valid (API_KEY_ROTATION_GRACE_SECONDS), in ms. */
export interface KeyRotationSettings {
  graceMs: number;
}
/** Injection token of the {@link KeyRotationSettings}. */
export const KEY_ROTATION_SETTINGS = Symbol('KEY_ROTATION_SETTINGS');

/** A rotated key: the same identity and roles, a new secret (shown once). */
export interface RotatedApiKey {
  id: string;
  name: string;
  roles: Role[];
  publisher: string | null;
  key: string;
  previous_valid_until: string;
}

/**
 * Rotates an API key without downtime: the key keeps its id (so its audit trail and approvals
 * stay one identity) and roles, gets a new secret, and its old secret is still accepted for the
 * grace period so that clients can move over. The old secret's hash is kept for good, so that
 * CONVERGIO_ADMIN_KEY set to it never creates a key again.
 */
@Injectable()
export class ApiKeyRotationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
    private readonly keys: ApiKeyService,
    private readonly revocations: KeyRevocations,
    @Inject(KEY_ROTATION_SETTINGS) private readonly settings: KeyRotationSettings,
  ) {}

  /**
   * Rotates key `id` for the request of `by` (its key id, and the issuer of the secret the
   * request came with). Throws not_found for an unknown key, invalid_state for a revoked one, and
   * forbidden, recorded as api_key.rotation_refused: `secret_rotated_out` when the request came
   * with a secret a rotation replaced ({@link requireCurrentSecret}), `rotate_other_admin_key`
   * when `by` is not the admin key it rotates: the rotator holds the key's new secret, so it could act, and
   * approve, as that admin (separation of duties, ADR 0015). Another admin's key is revoked
   * instead.
   *
   * The new secret's issuer is whoever will hold it: the rotating key, or, when a key rotates
   * itself, the issuer of the secret it rotated with (whoever held that secret now holds the new
   * one: an admin who created a key cannot launder their issuance by rotating it with its own
   * secret).
   */
  async rotate(
    id: string,
    by: Pick<Principal, 'keyId' | 'issuedBy' | 'secretValidUntil'>,
  ): Promise<RotatedApiKey> {
    const actor = by.keyId;
    try {
      requireCurrentSecret(by, 'rotate keys');
      return await this.rotateAs(id, actor, actor === id ? by.issuedBy : actor);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'forbidden')
        await this.outbox.record(EventSubjects.ApiKeyRotationRefused, {
          key_id: id,
          actor,
          code: error.details[0]?.code ?? error.code,
          message: error.message,
        });
      throw error;
    }
  }

  private async rotateAs(
    id: string,
    actor: string,
    issuedBy: string | null,
  ): Promise<RotatedApiKey> {
    const key = newApiKeySecret();
    const rotated = await this.dataSource.transaction(async (manager) => {
      const row = await manager
        .getRepository(ApiKey)
        .createQueryBuilder('k')
        .addSelect('k.keyHash')
        .where('k.id = :id', { id })
        .setLock('pessimistic_write')
        .getOne();
      if (!row) throw new DomainError('not_found', `API key ${id} is unknown`);
      if (row.revokedAt)
        throw new DomainError(
          'invalid_state',
          `API key ${id} was revoked at ${row.revokedAt.toISOString()}: create a new key`,
        );
      if (row.roles.includes('admin') && row.id !== actor)
        throw new DomainError(
          'forbidden',
          'only an admin key rotates its own secret (the rotator would hold it): revoke it instead',
          [{ code: 'rotate_other_admin_key', message: 'an admin key is rotated only by itself' }],
        );
      const now = new Date();
      const validUntil = new Date(now.getTime() + this.settings.graceMs);
      await manager.getRepository(RetiredKeyHash).insert({
        keyHash: row.keyHash,
        keyId: id,
        retiredAt: now,
        validUntil,
        issuedBy: row.issuedBy,
      });
      await manager.getRepository(ApiKey).update({ id }, { keyHash: hashKey(key), issuedBy });
      // Other replicas drop what they cached of the key: the old secret is then checked against
      // its grace period, not trusted for the cache's few seconds.
      await this.revocations.announce(manager, row.id);
      await this.outbox.add(manager, EventSubjects.ApiKeyRotated, {
        key_id: row.id,
        name: row.name,
        actor,
        previous_valid_until: validUntil.toISOString(),
      });
      return { row, validUntil };
    });
    const { row, validUntil } = rotated;
    this.keys.forget(row.id);
    return {
      id: row.id,
      name: row.name,
      roles: row.roles,
      publisher: row.publisher,
      key,
      previous_valid_until: validUntil.toISOString(),
    };
  }
}

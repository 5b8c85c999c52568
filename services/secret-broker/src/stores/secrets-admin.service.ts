import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import {
  DomainError,
  EventSubjects,
  MAX_SECRET_VALUE_BYTES,
  secretValueTooLarge,
  type ReplyMap,
  type RequestMap,
} from '@convergio/contracts';
import { TransactionalOutbox, type MessageContext } from '@convergio/messaging';
import { EmbeddedSecretStore } from './embedded-secret-store.js';
import { SECRET_STORE, type SecretStore } from './secret-store.js';

/** A surrogate not part of a pair (in `u` mode a pair is one code point, not a surrogate). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Admin changes to the embedded store, each recorded as secret.changed with its actor (never
 * the value). With Azure Key Vault configured, secrets are managed in Azure: `invalid_state`.
 */
@Injectable()
export class SecretsAdminService {
  constructor(
    @Inject(SECRET_STORE) private readonly store: SecretStore,
    private readonly dataSource: DataSource,
    private readonly outbox: TransactionalOutbox,
  ) {}

  /**
   * Stores a value (at most MAX_SECRET_VALUE_BYTES UTF-8 bytes: `payload_too_large`). A value
   * holding a lone UTF-16 surrogate has no UTF-8 form (it would be stored as U+FFFD, a value
   * nobody gave): `validation_failed`. Neither changes anything.
   */
  async put(
    req: RequestMap['secrets.put'],
    context: MessageContext,
  ): Promise<ReplyMap['secrets.put']> {
    const store = this.embedded();
    if (LONE_SURROGATE.test(req.value))
      throw new DomainError('validation_failed', 'invalid secret value', [
        {
          code: 'invalid_characters',
          message: 'the value holds a lone UTF-16 surrogate, which UTF-8 cannot encode',
          path: '/value',
        },
      ]);
    if (Buffer.byteLength(req.value, 'utf8') > MAX_SECRET_VALUE_BYTES) throw secretValueTooLarge();
    // The row and its event commit together (outbox): no change unrecorded, none announced unmade.
    const created = await this.dataSource.transaction(async (manager) => {
      const isNew = await store.put(manager, req.id, req.value);
      await this.changed(manager, req.id, 'stored', req.actor, context);
      return isNew;
    });
    return { id: req.id, created };
  }

  async delete(
    req: RequestMap['secrets.delete'],
    context: MessageContext,
  ): Promise<ReplyMap['secrets.delete']> {
    const store = this.embedded();
    await this.dataSource.transaction(async (manager) => {
      if (!(await store.delete(manager, req.id)))
        throw new DomainError('not_found', `no secret ${req.id}`);
      await this.changed(manager, req.id, 'deleted', req.actor, context);
    });
    return { id: req.id };
  }

  private embedded(): EmbeddedSecretStore {
    if (!(this.store instanceof EmbeddedSecretStore))
      throw new DomainError(
        'invalid_state',
        'secrets are managed in Azure Key Vault (AZURE_KEY_VAULT_URL): change them there',
      );
    return this.store;
  }

  private async changed(
    manager: EntityManager,
    id: string,
    action: 'stored' | 'deleted',
    actor: string,
    context: MessageContext,
  ): Promise<void> {
    await this.outbox.add(
      manager,
      EventSubjects.SecretChanged,
      { secret_id: id, action, actor },
      context,
    );
  }
}

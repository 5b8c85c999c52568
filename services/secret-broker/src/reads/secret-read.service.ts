import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  EventSubjects,
  SECRET_ID_PATTERN,
  type ReplyMap,
  type RequestMap,
} from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import type { SecretBrokerSettings } from '../config/secret-broker.config.js';
import { SecretGrantsRepository } from '../grants/secret-grants.repository.js';
import { SECRET_BROKER_SETTINGS } from '../secret-broker.schema.js';
import { SECRET_STORE, SecretStoreError, type SecretStore } from '../stores/secret-store.js';
import { verifySecretToken } from '../tokens/secret-token.js';
import { SigningKeyRepository } from '../tokens/signing-key.repository.js';
import { applyReleaseForm, releaseFormOf } from './release-form.js';

type ReadReply = ReplyMap['secrets.read'];
const secretId = new RegExp(SECRET_ID_PATTERN);

/**
 * Brokered reads: checks the token (signature, expiry, audience, issuer), that it names the
 * calling version and the secret, and that the version is still approved here; then releases the
 * value (in its brokered form) and records secret.accessed. A refusal is recorded as
 * permission.denied and answered as the plugin's `permission_denied`. Values never leave this
 * class except in the reply.
 */
@Injectable()
export class SecretReadService {
  private readonly log = new Logger(SecretReadService.name);

  constructor(
    private readonly keys: SigningKeyRepository,
    private readonly grants: SecretGrantsRepository,
    @Inject(SECRET_STORE) private readonly store: SecretStore,
    @Inject(SECRET_BROKER_SETTINGS) private readonly settings: SecretBrokerSettings,
    private readonly bus: BusClient,
  ) {}

  async read(
    req: RequestMap['secrets.read'],
    context: MessageContext,
    nowS = Math.floor(Date.now() / 1000),
  ): Promise<ReadReply> {
    const refusal = await this.refusal(req, nowS);
    if (refusal !== undefined) return this.refuse(req, refusal, context);
    let value: string | undefined;
    try {
      value = await this.store.get(req.secret_id);
    } catch (error) {
      if (!(error instanceof SecretStoreError)) throw error;
      this.log.error(
        `secret ${req.secret_id} for ${req.plugin_id}@${req.version}: ${error.code}: ${error.message}`,
      );
      return { error: { code: 'io_error', message: 'the secret store failed; retry later' } };
    }
    if (value === undefined)
      return { error: { code: 'not_found', message: `no secret ${req.secret_id}` } };
    await this.bus.publish(
      EventSubjects.SecretAccessed,
      {
        plugin_id: req.plugin_id,
        version: req.version,
        secret_id: req.secret_id,
      },
      context,
    );
    return {
      value: applyReleaseForm(value, releaseFormOf(this.settings.releaseForms, req.secret_id)),
    };
  }

  /** Why this read is refused, or undefined. */
  private async refusal(
    req: RequestMap['secrets.read'],
    nowS: number,
  ): Promise<string | undefined> {
    if (!secretId.test(req.secret_id)) return 'the secret id is malformed';
    const verified = await verifySecretToken(await this.keys.current(), req.token, nowS);
    if (!verified.ok) return verified.reason;
    const t = verified.token;
    if (t.pluginId !== req.plugin_id || t.version !== req.version)
      return 'the secret token was issued to another plugin version';
    if (!t.secretIds.includes(req.secret_id))
      return `secret ${req.secret_id} is not in the token's scope`;
    const grant = await this.grants.find(req.plugin_id, req.version);
    if (!grant || grant.revoked) return 'the plugin version is no longer approved';
    if (grant.moduleSha256 !== t.moduleSha256) return 'the secret token names another module';
    if (!grant.secretIds.includes(req.secret_id))
      return `secret ${req.secret_id} is not granted to this version`;
    return undefined;
  }

  private async refuse(
    req: RequestMap['secrets.read'],
    reason: string,
    context: MessageContext,
  ): Promise<ReadReply> {
    await this.bus.publish(
      EventSubjects.PermissionDenied,
      {
        plugin_id: req.plugin_id,
        version: req.version,
        capability: 'secrets.read',
        target: req.secret_id.slice(0, 2000),
        reason,
      },
      context,
    );
    return { error: { code: 'permission_denied', message: reason } };
  }
}

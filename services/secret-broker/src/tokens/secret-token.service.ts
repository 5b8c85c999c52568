import { Inject, Injectable } from '@nestjs/common';
import {
  DomainError,
  pluginVersionKey,
  type ReplyMap,
  type RequestMap,
} from '@convergio/contracts';
import type { SecretBrokerSettings } from '../config/secret-broker.config.js';
import { SecretGrantsRepository } from '../grants/secret-grants.repository.js';
import { SECRET_BROKER_SETTINGS } from '../secret-broker.schema.js';
import { signSecretToken } from './secret-token.js';
import { SigningKeyRepository } from './signing-key.repository.js';

/** Issues tokens scoped to what the broker itself recorded of a version's approval. */
@Injectable()
export class SecretTokenService {
  constructor(
    private readonly keys: SigningKeyRepository,
    private readonly grants: SecretGrantsRepository,
    @Inject(SECRET_BROKER_SETTINGS) private readonly settings: SecretBrokerSettings,
  ) {}

  /**
   * A token for the version's granted secret ids; `not_found` for a version not approved here
   * (or whose approval the broker has not seen yet), `invalid_state` for a revoked one or one
   * granted no secret, `conflict` when the module hash is not the approved one.
   */
  async issue(
    req: RequestMap['secrets.token.issue'],
    nowS = Math.floor(Date.now() / 1000),
  ): Promise<ReplyMap['secrets.token.issue']> {
    const key = pluginVersionKey(req.plugin_id, req.version);
    const grant = await this.grants.find(req.plugin_id, req.version);
    if (!grant) throw new DomainError('not_found', `${key} is not approved for secrets`);
    if (grant.revoked) throw new DomainError('invalid_state', `${key} is revoked`);
    if (grant.secretIds.length === 0)
      throw new DomainError('invalid_state', `${key} is granted no secret`);
    if (grant.moduleSha256 !== req.module_sha256)
      throw new DomainError('conflict', `${key} was approved with another module`);
    const token = await signSecretToken(
      await this.keys.current(),
      grant,
      this.settings.tokenTtlS,
      nowS,
    );
    return { token, expires_in_s: this.settings.tokenTtlS };
  }
}

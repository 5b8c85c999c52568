import { Module, type DynamicModule } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MessagingModule, outboxProviders } from '@convergio/messaging';
import type { SecretBrokerSettings } from './config/secret-broker.config.js';
import { SecretGrantsRepository } from './grants/secret-grants.repository.js';
import { SecretGrantsService } from './grants/secret-grants.service.js';
import { SecretReadService } from './reads/secret-read.service.js';
import { SecretBrokerHandler } from './secret-broker.handler.js';
import {
  SECRET_BROKER_SCHEMA,
  SECRET_BROKER_SERVICE,
  SECRET_BROKER_SETTINGS,
} from './secret-broker.schema.js';
import { AzureKeyVaultStore } from './stores/azure-key-vault-store.js';
import { EmbeddedSecretStore } from './stores/embedded-secret-store.js';
import { SECRET_STORE, type SecretStore } from './stores/secret-store.js';
import { SecretsAdminService } from './stores/secrets-admin.service.js';
import { SecretTokenService } from './tokens/secret-token.service.js';
import { SigningKeyRepository } from './tokens/signing-key.repository.js';

/**
 * The secret broker (ADR 0014): signs short-lived tokens scoped to a version's granted secret
 * ids, answers brokered reads from the embedded store or Azure Key Vault, and keeps the grants
 * of approved versions from approval events.
 */
@Module({})
export class SecretBrokerModule {
  static register(settings: SecretBrokerSettings): DynamicModule {
    return {
      module: SecretBrokerModule,
      imports: [MessagingModule.forService(SECRET_BROKER_SERVICE)],
      controllers: [SecretBrokerHandler],
      providers: [
        SigningKeyRepository,
        SecretGrantsRepository,
        SecretGrantsService,
        SecretTokenService,
        SecretReadService,
        SecretsAdminService,
        ...outboxProviders(SECRET_BROKER_SCHEMA),
        { provide: SECRET_BROKER_SETTINGS, useValue: settings },
        {
          provide: SECRET_STORE,
          inject: [DataSource],
          useFactory: (dataSource: DataSource): SecretStore =>
            settings.store.kind === 'embedded'
              ? new EmbeddedSecretStore(dataSource, settings.store.key)
              : new AzureKeyVaultStore(settings.store),
        },
      ],
    };
  }
}

import { Module } from '@nestjs/common';
import { MessagingModule } from '@convergio/messaging';
import { SECRET_BROKER_SERVICE } from './secret-broker.schema.js';

/**
 * The secret broker: short-lived scoped tokens and brokered reads from Azure Key
 * Vault come with the secrets issue. Until then it runs, is healthy, and answers
 * nothing, so `secret_get` is refused as unavailable.
 */
@Module({ imports: [MessagingModule.forService(SECRET_BROKER_SERVICE)] })
export class SecretBrokerModule {}

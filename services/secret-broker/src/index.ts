import { processedEventEntity } from '@convergio/persistence';
import { SecretBrokerInit1764300000000 } from './migrations/1764300000000-secret-broker-init.js';
import { SecretBrokerSecrets1766100000000 } from './migrations/1766100000000-secret-broker-secrets.js';
import { SecretBrokerOutbox1766500000000 } from './migrations/1766500000000-secret-broker-outbox.js';
import { SecretBrokerOutboxDeadLetters1766600000000 } from './migrations/1766600000000-secret-broker-outbox-dead-letters.js';
import { SecretBrokerSecretIdsIgnoreCase1767300000000 } from './migrations/1767300000000-secret-broker-secret-ids-ignore-case.js';
import { SECRET_BROKER_SCHEMA } from './secret-broker.schema.js';

export { SecretBrokerModule } from './secret-broker.module.js';
export {
  MAX_TOKEN_TTL_S,
  SecretBrokerConfig,
  SecretBrokerEnv,
  secretBrokerSettings,
  type SecretBrokerSettings,
} from './config/secret-broker.config.js';
/** Tables and migrations of the secret broker. */
export const secretBrokerPersistence = {
  schema: SECRET_BROKER_SCHEMA,
  entities: [processedEventEntity(SECRET_BROKER_SCHEMA)],
  migrations: [
    SecretBrokerInit1764300000000,
    SecretBrokerSecrets1766100000000,
    SecretBrokerOutbox1766500000000,
    SecretBrokerOutboxDeadLetters1766600000000,
    SecretBrokerSecretIdsIgnoreCase1767300000000,
  ],
};

import { processedEventEntity } from '@convergio/persistence';
import { SecretBrokerInit1764300000000 } from './migrations/1764300000000-secret-broker-init.js';
import { SECRET_BROKER_SCHEMA } from './secret-broker.schema.js';

export { SecretBrokerModule } from './secret-broker.module.js';
/** Tables and migrations of the secret broker. */
export const secretBrokerPersistence = {
  schema: SECRET_BROKER_SCHEMA,
  entities: [processedEventEntity(SECRET_BROKER_SCHEMA)],
  migrations: [SecretBrokerInit1764300000000],
};

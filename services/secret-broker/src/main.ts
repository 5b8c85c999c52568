import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { SecretBrokerConfig } from './config/secret-broker.config.js';
import { secretBrokerPersistence, SecretBrokerModule } from './index.js';

await runService('secret-broker', SecretBrokerConfig, () => ({
  feature: SecretBrokerModule,
  persistence: secretBrokerPersistence,
}));

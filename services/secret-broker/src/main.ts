import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { SecretBrokerConfig, secretBrokerSettings } from './config/secret-broker.config.js';
import { secretBrokerPersistence, SecretBrokerModule } from './index.js';

await runService('secret-broker', SecretBrokerConfig, (env) => ({
  feature: SecretBrokerModule.register(secretBrokerSettings(env)),
  persistence: secretBrokerPersistence,
}));

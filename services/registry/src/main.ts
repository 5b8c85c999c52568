import 'reflect-metadata';
import { runService } from '@convergio/runtime';
import { RegistryConfig } from './config/registry.config.js';
import { registryPersistence, RegistryModule } from './index.js';

await runService('registry', RegistryConfig, () => ({
  feature: RegistryModule,
  persistence: registryPersistence,
}));

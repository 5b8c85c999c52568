import { processedEventEntity } from '@convergio/persistence';
import { RegistryInit1764300000000 } from './migrations/1764300000000-registry-init.js';
import { RegistryLoadedOn1764400000000 } from './migrations/1764400000000-registry-loaded-on.js';
import { RegistryPlugins1764500000000 } from './migrations/1764500000000-registry-plugins.js';
import { RegistryPolicyViolations1764600000000 } from './migrations/1764600000000-registry-policy-violations.js';
import { RegistrySbom1764700000000 } from './migrations/1764700000000-registry-sbom.js';
import { RegistryOutbox1765100000000 } from './migrations/1765100000000-registry-outbox.js';
import { RegistryOutboxDeadLetters1766600000000 } from './migrations/1766600000000-registry-outbox-dead-letters.js';
import { RegistryLoadFailure1766900000000 } from './migrations/1766900000000-registry-load-failure.js';
import { RegistryServingVersion1767600000000 } from './migrations/1767600000000-registry-serving-version.js';
import { Plugin } from './plugins/plugin.entity.js';
import { PluginVersion } from './plugins/plugin-version.entity.js';
import { REGISTRY_SCHEMA } from './registry.schema.js';

export { RegistryModule } from './registry.module.js';
export { REGISTRY_SCHEMA } from './registry.schema.js';
/** Tables and migrations of the registry, for whichever DataSource hosts them. */
export const registryPersistence = {
  schema: REGISTRY_SCHEMA,
  entities: [Plugin, PluginVersion, processedEventEntity(REGISTRY_SCHEMA)],
  migrations: [
    RegistryInit1764300000000,
    RegistryLoadedOn1764400000000,
    RegistryPlugins1764500000000,
    RegistryPolicyViolations1764600000000,
    RegistrySbom1764700000000,
    RegistryOutbox1765100000000,
    RegistryOutboxDeadLetters1766600000000,
    RegistryLoadFailure1766900000000,
    RegistryServingVersion1767600000000,
  ],
};

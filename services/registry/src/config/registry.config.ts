import { Type } from '@sinclair/typebox';
import { ArtifactEnv, DistributedEnv, OutboxEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the registry service. */
export const RegistryConfig = Type.Object({
  ...DistributedEnv,
  ...OutboxEnv,
  ...ArtifactEnv,
  ...serviceEnv(3001),
});

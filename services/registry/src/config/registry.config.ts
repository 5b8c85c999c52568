import { Type } from '@sinclair/typebox';
import { ArtifactEnv, DistributedEnv, serviceEnv } from '@convergio/runtime';

/** Environment of the registry service. */
export const RegistryConfig = Type.Object({
  ...DistributedEnv,
  ...ArtifactEnv,
  ...serviceEnv(3001),
});

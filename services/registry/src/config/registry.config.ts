import { Type } from '@sinclair/typebox';
import { ArtifactEnv, DistributedEnv, portEnv } from '@convergio/runtime';

/** Environment of the registry service. */
export const RegistryConfig = Type.Object({ ...DistributedEnv, ...ArtifactEnv, ...portEnv(3001) });

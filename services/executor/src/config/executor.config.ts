import { Type } from '@sinclair/typebox';
import { ArtifactEnv, DistributedEnv, portEnv } from '@convergio/runtime';

/** Per-call limits every deployment applies; shared by both modes. */
export const ExecutorLimitsEnv = {
  EXECUTOR_TIMEOUT_MS: Type.Integer({
    minimum: 10,
    maximum: 60_000,
    default: 5000,
    description: 'wall time of one plugin call, ms (the gateway waits 90 s for a reply)',
  }),
  EXECUTOR_MAX_MEMORY_PAGES: Type.Integer({
    minimum: 1,
    maximum: 65536,
    default: 1024,
    description: 'linear memory cap of a plugin, 64 KiB pages',
  }),
};

/** Environment of the executor in distributed mode. */
export const ExecutorConfig = Type.Object({
  ...DistributedEnv,
  ...ArtifactEnv,
  ...portEnv(3004),
  ...ExecutorLimitsEnv,
});

import type { HostFunctionFactory, MainThreadOps } from '@convergio/sandbox';
import { fsHostFunctions } from './fs/index.js';
import { procHostFunctions } from './proc/index.js';
import { telemetryHostFunctions } from './telemetry/index.js';
import {
  createNetMainThreadOps,
  netHostFunctions,
  systemResolver,
  type Resolver,
} from './net/index.js';
import { secretHostFunctions } from './secrets/index.js';

/** Every host function of the plugin ABI, bound to one plugin; loaded inside each plugin worker. */
export const createHostFunctions: HostFunctionFactory = (env) => ({
  ...fsHostFunctions(env),
  ...procHostFunctions(env),
  ...telemetryHostFunctions(env),
  ...netHostFunctions(env),
  ...secretHostFunctions(env),
});

/**
 * The operations host functions run on the main thread (network I/O); names are resolved with
 * `resolve` (the system resolver unless the operator names DNS servers).
 */
export const createMainThreadOps = (resolve: Resolver = systemResolver): MainThreadOps => ({
  ...createNetMainThreadOps(resolve),
});

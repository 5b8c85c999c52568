// Loaded inside every plugin worker: it imports the worker side only (no sockets, no HTTP client),
// which keeps a worker's start short.
import type { HostFunctionFactory } from '@convergio/sandbox';
import { fsHostFunctions } from './fs/fs-host-functions.js';
import { netHostFunctions } from './net/net-host-functions.js';
import { procHostFunctions } from './proc/index.js';
import { secretHostFunctions } from './secrets/index.js';
import { telemetryHostFunctions } from './telemetry/index.js';

/** Every host function of the plugin ABI, bound to one plugin; loaded inside each plugin worker. */
export const createHostFunctions: HostFunctionFactory = (env) => ({
  ...fsHostFunctions(env),
  ...procHostFunctions(env),
  ...telemetryHostFunctions(env),
  ...netHostFunctions(env),
  ...secretHostFunctions(env),
});

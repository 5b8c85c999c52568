// Loaded inside every plugin worker: it imports the worker side only (no sockets, no HTTP client),
// which keeps a worker's start short.
import type { HostFunctionFactory } from '@convergio/sandbox';
import { bindHostFunctions } from './dispatch.js';

/** Every host function of the plugin ABI, bound to one plugin; loaded inside each plugin worker. */
export const createHostFunctions: HostFunctionFactory = (env) => bindHostFunctions(env);

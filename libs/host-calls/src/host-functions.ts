// Loaded inside every plugin worker: it imports the worker side only (no sockets, no HTTP client),
// which keeps a worker's start short.
import type { HostFunction } from '@convergio/contracts';
import type { HostFunctionFactory } from '@convergio/sandbox';
import { abiTable } from './abi-table.js';
import { bindHostFunctions } from './dispatch.js';

/** Every host function of the plugin ABI, bound to one plugin; loaded inside each plugin worker. */
export const createHostFunctions: HostFunctionFactory = (env) => bindHostFunctions(env);

/**
 * The names of {@link createHostFunctions}' table, the ABI table's: the host functions a module
 * may import, at verification and at load.
 */
export const HOST_FUNCTION_NAMES = Object.keys(abiTable()) as readonly HostFunction[];

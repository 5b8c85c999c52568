import type { HostFunction } from '@convergio/contracts';
import { fsListFunction, fsReadFunction, fsWriteFunction } from './fs/index.js';
import type { HostFunctionDefinition } from './host-function-definition.js';
import {
  httpRequestFunction,
  wsCloseFunction,
  wsConnectFunction,
  wsRecvFunction,
  wsSendFunction,
} from './net/index.js';
import { procExecFunction } from './proc/index.js';
import { secretGetFunction } from './secrets/index.js';
import { logFunction, telemetryEmitFunction, type RateLimiter } from './telemetry/index.js';

/** The rate limiters of `log` and `telemetry_emit`; each defaults to its worker's own. */
export interface RateLimiters {
  log?: RateLimiter;
  telemetry?: RateLimiter;
}

/** Any definition, its type parameters erased (the dispatcher passes each its own values). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDefinition = HostFunctionDefinition<any, any>;

/**
 * Every host function of the plugin ABI, by its name in HOST_FUNCTIONS (libs/contracts): a
 * function missing here, or one the ABI does not list, does not compile. `limiters` are where
 * `log` counts lines and `telemetry_emit` events (one each per worker; injectable for tests).
 */
export const abiTable = (limiters: RateLimiters = {}) =>
  ({
    fs_read: fsReadFunction,
    fs_write: fsWriteFunction,
    fs_list: fsListFunction,
    http_request: httpRequestFunction,
    ws_connect: wsConnectFunction,
    ws_send: wsSendFunction,
    ws_recv: wsRecvFunction,
    ws_close: wsCloseFunction,
    secret_get: secretGetFunction,
    proc_exec: procExecFunction,
    telemetry_emit: telemetryEmitFunction(limiters.telemetry),
    log: logFunction(limiters.log),
  }) satisfies Record<HostFunction, AnyDefinition>;

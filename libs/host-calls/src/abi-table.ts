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
import { logFunction, telemetryEmitFunction, type LogLimiter } from './telemetry/index.js';

/** Any definition, its type parameters erased (the dispatcher passes each its own values). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDefinition = HostFunctionDefinition<any, any>;

/**
 * Every host function of the plugin ABI, by its name in HOST_FUNCTIONS (libs/contracts): a
 * function missing here, or one the ABI does not list, does not compile. `limiter` is where
 * `log` counts lines (one per worker; injectable for tests).
 */
export const abiTable = (limiter?: LogLimiter) =>
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
    telemetry_emit: telemetryEmitFunction,
    log: logFunction(limiter),
  }) satisfies Record<HostFunction, AnyDefinition>;

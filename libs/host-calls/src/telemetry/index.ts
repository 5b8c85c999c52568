import type { HostEnvironment, HostFunctionTable } from '@convergio/sandbox';
import { neverThrow } from '../fs/host-error.js';
import { defaultLogLimiter, pluginLog, type LogLimiter } from './plugin-log.js';
import { telemetryEmit } from './telemetry-emit.js';

/** `telemetry_emit` and `log`, bound to one plugin. The limiter is injectable for tests. */
export function telemetryHostFunctions(
  env: HostEnvironment,
  limiter: LogLimiter = defaultLogLimiter,
): HostFunctionTable {
  return {
    telemetry_emit: (input) => neverThrow(() => telemetryEmit(env, input)),
    log: (input) => neverThrow(() => pluginLog(env, limiter, input)),
  };
}

export type { LogLimiter, LogPayload } from './plugin-log.js';
export type { TelemetryPayload } from './telemetry-emit.js';

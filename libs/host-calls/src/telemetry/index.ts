export { logFunction, type LogLimiter } from './plugin-log.js';
export { telemetryEmitFunction } from './telemetry-emit.js';

export { defaultLogLimiter, logFunction, type LogLimiter, type LogPayload } from './plugin-log.js';
export { telemetryEmitFunction, type TelemetryPayload } from './telemetry-emit.js';

export { logFunction } from './plugin-log.js';
export type { RateLimiter } from './rate-limiter.js';
export { telemetryEmitFunction } from './telemetry-emit.js';

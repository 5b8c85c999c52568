export { initTelemetry } from './telemetry.js';
export { TraceContextMiddleware } from './trace-context.middleware.js';
export { currentTraceId } from './trace-id.js';

export { initTelemetry } from './telemetry.js';
export { TraceContextMiddleware } from './trace-context.middleware.js';
export { currentTraceId } from './trace-id.js';
export { accessLog } from './logging/access-log.middleware.js';
export { LOG_LEVELS, LoggingEnv, type LogLevel, type LogSettings } from './logging/log-settings.js';
export { ServiceLogger, type AccessRecord } from './logging/service-logger.js';

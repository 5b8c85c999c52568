export { initTelemetry, registerMetricProducer, renderMetrics } from './telemetry.js';
export { requestTrace, traceContextHook, traceIdOf } from './trace-context.hook.js';
export { abortedRequestLogHook, accessLogHook, logAccess } from './logging/access-log.hook.js';
export { LOG_LEVELS, LoggingEnv, type LogLevel, type LogSettings } from './logging/log-settings.js';
export { ServiceLogger, type AccessRecord } from './logging/service-logger.js';

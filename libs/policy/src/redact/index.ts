export { cutMarked } from './cut-mark.js';
export { REDACTED, ReleasedSecretScrubber, type ReleasedValues } from './released-secrets.js';
export {
  containsSecret,
  redactScalar,
  redactText,
  shannonEntropy,
  type Redaction,
} from './secret-redaction.js';
export {
  checkTelemetryEvent,
  MAX_TELEMETRY_ATTRIBUTES,
  MAX_TELEMETRY_STRING_LENGTH,
  MAX_TELEMETRY_VALUE,
  TELEMETRY_NAME_PATTERN,
  type TelemetryEvent,
  type TelemetryScalar,
} from './telemetry-event.js';
export {
  isLogLevel,
  LOG_LEVELS,
  logMessageHeadBytes,
  prepareLogMessage,
  TRUNCATION_MARK,
  truncateUtf8,
  type LogLevel,
  type PreparedLogMessage,
} from './log-line.js';
export { fullLogBucket, LINE_DROPPED, takeLogToken, type LogBucket } from './log-rate-limit.js';

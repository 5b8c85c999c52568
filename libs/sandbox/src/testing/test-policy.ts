import { MINIMAL_PATH_PROTECTION } from '@convergio/policy';
import type { CallLimits } from '../call-limits.js';
import type { OperatorPolicy } from '../host-api.js';

/** Operator settings of the sandbox's own tests: small caps, no private networks, no plugin directory. */
export const TEST_POLICY: OperatorPolicy = {
  allowPrivateNetworks: false,
  maxFileBytes: 1 << 20,
  maxHttpRequestBytes: 1 << 16,
  maxHttpResponseBytes: 1 << 16,
  httpTimeoutMs: 1000,
  maxWebSocketMessageBytes: 1 << 16,
  maxProcOutputBytes: 1 << 16,
  procTimeoutMs: 1000,
  maxLogBytes: 1024,
  logLinesPerSecond: 10,
  telemetryEventsPerSecond: 100,
  denialsPerSecond: 1000,
  protection: MINIMAL_PATH_PROTECTION,
  pluginDir: null,
};

/** Call limits of the sandbox's own tests: ample time and fuel, a 4 MiB memory cap. */
export const TEST_LIMITS: CallLimits = {
  wallTimeMs: 5000,
  fuel: 1e13,
  maxMemoryPages: 64,
  maxHostCalls: 100,
  maxOutputBytes: 1 << 20,
};

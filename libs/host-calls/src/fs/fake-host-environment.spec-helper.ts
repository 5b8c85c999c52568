import type { Permissions, Trust } from '@convergio/contracts';
import type { HostEnvironment, HostError, OperatorPolicy } from '@convergio/sandbox';
import { MINIMAL_PATH_PROTECTION } from '@convergio/policy';

/** Test double for HostEnvironment: records denials and emits. Test-only (not exported by the barrel). */
export interface FakeHost {
  env: HostEnvironment;
  denials: { capability: string; target: string; reason: string }[];
  emitted: { kind: 'log' | 'telemetry'; payload: unknown }[];
  /** Telemetry events the host function dropped (`countDroppedTelemetry`). */
  droppedTelemetry: number;
}

const TEST_POLICY: OperatorPolicy = {
  allowPrivateNetworks: false,
  maxFileBytes: 1024,
  maxHttpRequestBytes: 1024,
  maxHttpResponseBytes: 1024,
  httpTimeoutMs: 1000,
  maxWebSocketMessageBytes: 1024,
  maxProcOutputBytes: 4096,
  procTimeoutMs: 5000,
  maxLogBytes: 1024,
  logLinesPerSecond: 5,
  telemetryEventsPerSecond: 100,
  denialsPerSecond: 1000,
  protection: MINIMAL_PATH_PROTECTION,
  pluginDir: null,
};

export function fakeHost(options: {
  grants?: Permissions;
  trust?: Trust;
  policy?: Partial<OperatorPolicy>;
  released?: string[];
  id?: string;
}): FakeHost {
  const host: FakeHost = {
    denials: [],
    emitted: [],
    droppedTelemetry: 0,
    env: {
      plugin: {
        id: options.id ?? 'acme.test',
        version: '1.2.3',
        trust: options.trust ?? 'untrusted',
      },
      grants: options.grants ?? {},
      policy: { ...TEST_POLICY, ...options.policy },
      deny(capability, target, reason): HostError {
        host.denials.push({ capability, target, reason });
        return { error: { code: 'permission_denied', message: reason, capability, target } };
      },
      callMain() {
        throw new Error('callMain is not used by these host functions');
      },
      emit(kind, payload) {
        host.emitted.push({ kind, payload });
      },
      emitLogLine(level, message) {
        host.emitted.push({ kind: 'log', payload: { level, message } });
      },
      countDroppedTelemetry() {
        host.droppedTelemetry++;
      },
      releasedSecrets: () => options.released ?? [],
    },
  };
  return host;
}

/** The plugin got a structured refusal, and exactly that refusal was recorded as permission.denied. */
export function expectDenied(
  { host, result }: { host: FakeHost; result: unknown },
  capability: string,
  target: string,
  reason?: string,
): void {
  expect(result).toEqual({
    error: { code: 'permission_denied', message: expect.any(String), capability, target },
  });
  expect(host.denials).toEqual([
    { capability, target, reason: reason ? expect.stringContaining(reason) : expect.any(String) },
  ]);
}

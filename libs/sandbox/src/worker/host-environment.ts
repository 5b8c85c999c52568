import type { HostEnvironment, HostError } from '../host-api.js';
import { EventBatch } from '../event-batch.js';
import type { BridgeClient } from '../sync-bridge.js';
import type { WorkerInit } from '../worker-protocol.js';
import type { CallChannel } from './call-channel.js';
import type { CallMeter } from './call-meter.js';
import { blockThread, DenialPacer } from './denial-pacer.js';

/** The environment handed to the host-functions factory, plus what the worker resets per call. */
export interface WorkerHostEnvironment {
  env: HostEnvironment;
  /** Forgets the secrets released during the previous call. */
  beginCall(): void;
  /** Whether the call begun last has reached the main thread (`callMain`). */
  usedMainThread(): boolean;
  /**
   * Sends the log lines and telemetry events still held, and the count of those dropped (at the
   * end of a call or a start).
   */
  flushEvents(): void;
}

/**
 * Builds one plugin's HostEnvironment. It holds copies of the plugin's identity, grants and
 * policy (frozen, so one host function cannot widen what another sees) and nothing else: no
 * process environment, no handle on other plugins. A main-thread operation, and a refusal past
 * policy.denialsPerSecond for the whole version ({@link DenialPacer} on `init.denialBucket`),
 * waits under `meter`'s watch, so a call stopped there reports the fuel it had used.
 */
export function createHostEnvironment(
  init: WorkerInit,
  channel: CallChannel,
  bridge: BridgeClient,
  meter: CallMeter,
): WorkerHostEnvironment {
  let secrets: string[] = [];
  let mainCalls = 0;
  const emitted = new EventBatch(
    (json) => channel.send({ type: 'emitted', json }),
    new Float64Array(init.droppedTelemetry),
  );
  // A call stopped while it waits its turn reports the fuel it had used.
  const denials = new DenialPacer(init.denialBucket, init.policy.denialsPerSecond, (ms) =>
    meter.whileWaiting(() => blockThread(ms)),
  );
  const env: HostEnvironment = {
    plugin: deepFreeze(structuredClone(init.identity)),
    grants: deepFreeze(structuredClone(init.grants)),
    policy: deepFreeze(structuredClone(init.policy)),
    deny(capability, target, reason): HostError {
      denials.take();
      emitted.flush(); // the audit sees events in the order the plugin caused them
      channel.send({ type: 'denied', capability, target, reason });
      return { error: { code: 'permission_denied', message: reason, capability, target } };
    },
    callMain(op, payload) {
      mainCalls++;
      const { result, secrets: released } = meter.whileWaiting(() => bridge.call(op, payload));
      if (released.length > 0) secrets = [...secrets, ...released];
      return result;
    },
    emit(kind, payload) {
      emitted.add(kind, payload);
    },
    emitLogLine(level, message) {
      emitted.addLogLine(level, message);
    },
    countDroppedTelemetry() {
      emitted.countDroppedTelemetry();
    },
    releasedSecrets: () => secrets,
  };
  return {
    env: Object.freeze(env),
    beginCall: () => {
      secrets = [];
      mainCalls = 0;
    },
    usedMainThread: () => mainCalls > 0,
    flushEvents: () => emitted.flush(),
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

import type { HostEnvironment } from '@convergio/sandbox';
import {
  checkTelemetryEvent,
  describePluginValue,
  LINE_DROPPED,
  type TelemetryEvent,
} from '@convergio/policy';
import { OK, refuse } from '../host-call-result.js';
import { allow, defineHostFunction, notGranted } from '../host-function-definition.js';
import { takeToken, workerRateLimiter, type RateLimiter } from './rate-limiter.js';

/**
 * What telemetry_emit hands to `env.emit('telemetry', …)`: the event alone; the runtime's
 * `onTelemetry` names the plugin version that emitted it.
 */
export type TelemetryPayload = TelemetryEvent;

/** The `telemetry_emit` function bound to one plugin, with the limiter it counts against. */
export interface TelemetryBound {
  env: HostEnvironment;
  limiter: RateLimiter;
}

const workerTelemetryLimiter = workerRateLimiter();

/**
 * `telemetry_emit {name, value?, attributes?}` → `{ok: true}` (needs telemetry.emit).
 * `name` and attribute keys match `^[a-z][a-z0-9_.]{0,63}$`; at most 16 attributes; `value`
 * and attribute values are strings (≤ 256 characters), finite numbers or booleans. Values
 * that look like or contain a secret (including one released to this call) arrive as
 * `[REDACTED]`. A malformed event is a refusal (recorded), like a missing grant. Events past
 * policy.telemetryEventsPerSecond (this worker's own bucket) are dropped here, still answered
 * `{ok: true}`, and only counted (`env.countDroppedTelemetry`): a flood never leaves the sandbox
 * process. `limiter` is injectable for tests.
 */
export const telemetryEmitFunction = (limiter: RateLimiter = workerTelemetryLimiter) =>
  defineHostFunction<TelemetryBound, TelemetryEvent>({
    capability: 'telemetry.emit',
    target: telemetryTarget,
    bind: (env) => ({ env, limiter }),
    admit: ({ env }) => (env.grants['telemetry.emit'] ? null : notGranted('telemetry.emit')),
    parse: (input, { env }) => {
      const checked = checkTelemetryEvent(input, env.releasedSecrets());
      return checked.ok ? checked.value : refuse(telemetryTarget(input), checked.reason);
    },
    decide: allow,
    run: (event: TelemetryPayload, { env, limiter }) => {
      const rate = env.policy.telemetryEventsPerSecond;
      if (takeToken(limiter, env.plugin.id, rate) === LINE_DROPPED) env.countDroppedTelemetry();
      else env.emit('telemetry', event);
      return OK;
    },
  });

function telemetryTarget(input: unknown): string {
  return describePluginValue((input as { name?: unknown } | null)?.name, 64);
}

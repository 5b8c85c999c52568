import type { HostEnvironment } from '@convergio/sandbox';
import { checkTelemetryEvent, describePluginValue, type TelemetryEvent } from '@convergio/policy';
import { OK, refuse } from '../host-call-result.js';
import { allow, defineHostFunction, notGranted } from '../host-function-definition.js';

/**
 * What telemetry_emit hands to `env.emit('telemetry', …)`: the event alone; the runtime's
 * `onTelemetry` names the plugin version that emitted it.
 */
export type TelemetryPayload = TelemetryEvent;

/**
 * `telemetry_emit {name, value?, attributes?}` → `{ok: true}` (needs telemetry.emit).
 * `name` and attribute keys match `^[a-z][a-z0-9_.]{0,63}$`; at most 16 attributes; `value`
 * and attribute values are strings (≤ 256 characters), finite numbers or booleans. Values
 * that look like or contain a secret (including one released to this call) arrive as
 * `[REDACTED]`. A malformed event is a refusal (recorded), like a missing grant.
 */
export const telemetryEmitFunction = defineHostFunction<HostEnvironment, TelemetryEvent>({
  capability: 'telemetry.emit',
  target: telemetryTarget,
  bind: (env) => env,
  admit: (env) => (env.grants['telemetry.emit'] ? null : notGranted('telemetry.emit')),
  parse: (input, env) => {
    const checked = checkTelemetryEvent(input, env.releasedSecrets());
    return checked.ok ? checked.value : refuse(telemetryTarget(input), checked.reason);
  },
  decide: allow,
  run: (event: TelemetryPayload, env) => {
    env.emit('telemetry', event);
    return OK;
  },
});

function telemetryTarget(input: unknown): string {
  return describePluginValue((input as { name?: unknown } | null)?.name, 64);
}

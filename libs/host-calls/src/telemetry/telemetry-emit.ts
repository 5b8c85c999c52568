import type { HostEnvironment } from '@convergio/sandbox';
import { checkTelemetryEvent, describePluginValue } from '@convergio/policy';

/** What telemetry_emit hands to `env.emit('telemetry', …)`. */
export interface TelemetryPayload {
  plugin_id: string;
  plugin_version: string;
  name: string;
  value?: string | number | boolean;
  attributes: Record<string, string | number | boolean>;
}

/**
 * `telemetry_emit {name, value?, attributes?}` → `{ok: true}` (needs telemetry.emit).
 * `name` and attribute keys match `^[a-z][a-z0-9_.]{0,63}$`; at most 16 attributes; `value`
 * and attribute values are strings (≤ 256 characters), finite numbers or booleans. Values
 * that look like or contain a secret (including one released to this call) arrive as
 * `[REDACTED]`. Errors: permission_denied (recorded) for a missing grant or a malformed event.
 */
export function telemetryEmit(env: HostEnvironment, input: unknown): unknown {
  const target = describePluginValue((input as { name?: unknown } | null)?.name, 64);
  if (!env.grants['telemetry.emit'])
    return env.deny('telemetry.emit', target, 'telemetry.emit is not granted');
  const checked = checkTelemetryEvent(input, env.releasedSecrets());
  if (!checked.ok) return env.deny('telemetry.emit', target, checked.reason);
  const payload: TelemetryPayload = {
    plugin_id: env.plugin.id,
    plugin_version: env.plugin.version,
    ...checked.event,
  };
  env.emit('telemetry', payload);
  return { ok: true };
}

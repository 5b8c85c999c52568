import { fail, succeed, type Outcome } from '@convergio/contracts';
import { cutMarked } from './cut-mark.js';
import { scrubberOf, type ReleasedValues } from './released-secrets.js';
import { containsSecret, redactScalar } from './secret-redaction.js';

/** Event names and attribute keys: lower case, dot or underscore separated, at most 64 characters. */
export const TELEMETRY_NAME_PATTERN = /^[a-z][a-z0-9_.]{0,63}$/;
export const MAX_TELEMETRY_ATTRIBUTES = 16;
export const MAX_TELEMETRY_STRING_LENGTH = 256;
/**
 * Largest magnitude of a numeric event value. The executor sums values into /metrics: near
 * ±1.7e308 a sum overflows to ±Infinity (and to NaN once two signs meet); 1e15 stays exact for
 * integers and leaves room for any number of events.
 */
export const MAX_TELEMETRY_VALUE = 1e15;

export type TelemetryScalar = string | number | boolean;

/** A telemetry event as a plugin may emit it. */
export interface TelemetryEvent {
  name: string;
  value?: TelemetryScalar;
  attributes: Record<string, TelemetryScalar>;
}

function checkScalar(value: unknown, where: string): string | null {
  if (typeof value === 'boolean') return null;
  if (typeof value === 'number')
    return Number.isFinite(value) ? null : `${where} must be a finite number`;
  if (typeof value === 'string') {
    return value.length > MAX_TELEMETRY_STRING_LENGTH
      ? `${where} is longer than ${MAX_TELEMETRY_STRING_LENGTH} characters`
      : null;
  }
  return `${where} must be a string, a number or a boolean`;
}

/**
 * Validates a telemetry_emit input and redacts it. Shape violations (a numeric value past
 * {@link MAX_TELEMETRY_VALUE} included) are refused; values
 * that look like secrets are replaced by `[REDACTED]`. A name or key that contains a
 * secret cannot be redacted without losing the event, so it is refused.
 */
export function checkTelemetryEvent(
  input: unknown,
  releasedSecrets: ReleasedValues,
): Outcome<TelemetryEvent> {
  if (typeof input !== 'object' || input === null) return fail('input must be an object');
  const { name, value, attributes = {} } = input as Record<string, unknown>;
  if (typeof name !== 'string' || !TELEMETRY_NAME_PATTERN.test(name)) {
    return fail('name must match ^[a-z][a-z0-9_.]{0,63}$');
  }
  if (value !== undefined) {
    const problem = checkScalar(value, 'value');
    if (problem) return fail(problem);
    if (typeof value === 'number' && Math.abs(value) > MAX_TELEMETRY_VALUE)
      return fail('value must be at most 1e15 in magnitude');
  }
  if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes)) {
    return fail('attributes must be an object');
  }
  const entries = Object.entries(attributes);
  if (entries.length > MAX_TELEMETRY_ATTRIBUTES) {
    return fail(`more than ${MAX_TELEMETRY_ATTRIBUTES} attributes`);
  }
  for (const [key, v] of entries) {
    if (!TELEMETRY_NAME_PATTERN.test(key))
      // Marked where cut, so a released value cut there is still redacted (redactReleasedSecrets).
      return fail(`attribute key "${cutMarked(key, 64)}" is invalid`);
    const problem = checkScalar(v, `attribute ${key}`);
    if (problem) return fail(problem);
  }
  // Built once for the up to 34 strings of the event: its cost grows with the values released.
  const scrubber = scrubberOf(releasedSecrets);
  if ([name, ...entries.map(([k]) => k)].some((s) => containsSecret(s, scrubber))) {
    return fail('the name or an attribute key contains a secret');
  }
  const event: TelemetryEvent = {
    name,
    attributes: Object.fromEntries(
      entries.map(([k, v]) => [k, redactScalar(v as TelemetryScalar, scrubber)]),
    ),
  };
  if (value !== undefined) event.value = redactScalar(value as TelemetryScalar, scrubber);
  return succeed(event);
}

import { CliError, ExitCode, type ErrorDetail } from '../exit-codes.js';

const MAX_TEXT = 300;

/** What to do about each code the gateway answers with; codes not listed get the status's hint. */
const HINTS: Record<string, string> = {
  unauthorized:
    'the API key was missing or not accepted: set CONVERGIO_API_KEY, or pass --key or --key-file (an admin creates keys with POST /v1/api-keys)',
  forbidden:
    'this key lacks the role this needs (the message names the roles that would pass): use a key that has it',
  not_owner:
    'another publisher owns this plugin id: choose another id, or ask an admin to hand it over (PUT /v1/plugins/{id}/owner)',
  policy_violation: "the operator's grant policy does not allow it: the details name the rules",
  not_found:
    'check the plugin id, version and function: `convergio status <plugin-id>` lists the versions',
  version_exists:
    'this version was submitted already: raise "version" in plugin.json and sign again',
  version_not_increasing:
    'a new version must be above every approved one: raise "version" in plugin.json and sign again',
  invalid_state:
    'the version is not in a state that allows this: `convergio status <plugin-id> <version>` shows where it stands',
  validation_failed: 'fix what the details name, then try again',
  bad_request: 'fix what the message names, then try again',
  payload_too_large:
    "a part is over the gateway's limit: the message names the part, the limit and the setting an operator can raise",
  unsupported_media_type: 'is --url the Convergio gateway?',
  plugin_failed:
    'the plugin failed (the details name the sandbox code): `convergio audit --plugin <id>` shows its crashes',
  rate_limited: 'too many requests: wait a moment and retry',
  plugin_timeout: 'the call ran past its wall time: retry with a smaller input, or ask the author',
  reply_too_large:
    'the answer was larger than the bus carries (the message names the limit): ask for less at once (a smaller page, fewer calls), or have an operator raise it',
  unavailable: 'the platform cannot serve this right now: retry in a moment',
  internal: 'the gateway logged this error under the id in the message: an operator can find it',
};

/**
 * The CLI's error for a gateway answer that is not a success: the gateway's own code, message
 * and details when the body is its `{"error": {...}}`, exiting with {@link ExitCode.refused}
 * (or {@link ExitCode.unreachable} for a 5xx: retrying may help). Any other answer is
 * `http_<status>` and {@link ExitCode.unreachable}: whatever answered, it was not the gateway.
 */
export function gatewayRefusal(status: number, body: unknown, text: string): CliError {
  const exit = status >= 500 ? ExitCode.unreachable : ExitCode.refused;
  const error = apiError(body);
  if (!error)
    return new CliError(
      ExitCode.unreachable,
      `http_${status}`,
      `the gateway answered HTTP ${status}${text ? `: ${text.trim().slice(0, MAX_TEXT)}` : ''}`,
      'is --url (or CONVERGIO_URL) the Convergio gateway, e.g. http://127.0.0.1:3000?',
    );
  return new CliError(exit, error.code, error.message, HINTS[error.code], error.details);
}

function apiError(body: unknown): { code: string; message: string; details: ErrorDetail[] } | null {
  if (!isObject(body) || !isObject(body.error)) return null;
  const { code, message, details } = body.error;
  if (typeof code !== 'string' || typeof message !== 'string') return null;
  return {
    code,
    message,
    details: Array.isArray(details) ? details.filter(isDetail) : [],
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isDetail = (value: unknown): value is ErrorDetail =>
  isObject(value) && typeof value.code === 'string' && typeof value.message === 'string';

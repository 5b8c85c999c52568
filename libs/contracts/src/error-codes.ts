/**
 * Stable error codes shared by every service. The gateway maps each one to an
 * HTTP status in one exhaustive switch; the bus maps each one to ack/nak/term.
 */
export const ErrorCodes = [
  'bad_request',
  'validation_failed',
  'unauthorized',
  'forbidden',
  'not_owner',
  'policy_violation',
  'not_found',
  'method_not_allowed',
  'invalid_state',
  'conflict',
  'version_not_increasing',
  'version_exists',
  'payload_too_large',
  'unsupported_media_type',
  'checks_failed',
  'rate_limited',
  'plugin_timeout',
  'plugin_failed',
  'reply_too_large',
  'unavailable',
  'internal',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** One problem in a request or a check, with where it was found. */
export interface ErrorDetail {
  code: string;
  message: string;
  path?: string;
}

/** A domain error with a stable code; crosses the bus as {code, message, details}. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }

  toJSON(): { code: ErrorCode; message: string; details: ErrorDetail[] } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

/** True for codes that will not change on retry: the bus terminates such messages. */
export function isPermanentError(code: ErrorCode): boolean {
  return code !== 'unavailable' && code !== 'internal' && code !== 'rate_limited';
}

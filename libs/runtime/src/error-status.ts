import { HttpStatus } from '@nestjs/common';
import type { ErrorCode } from '@convergio/contracts';

/** The one place where error codes become HTTP statuses (docs/operator-guide.md). */
export function statusOf(code: ErrorCode): HttpStatus {
  switch (code) {
    case 'bad_request':
    case 'validation_failed':
      return HttpStatus.BAD_REQUEST;
    case 'unauthorized':
      return HttpStatus.UNAUTHORIZED;
    case 'forbidden':
    case 'not_owner':
    case 'policy_violation':
      return HttpStatus.FORBIDDEN;
    case 'not_found':
      return HttpStatus.NOT_FOUND;
    // A path that exists, asked with a method it does not take (the Allow header lists them).
    case 'method_not_allowed':
      return HttpStatus.METHOD_NOT_ALLOWED;
    case 'invalid_state':
    case 'conflict':
    case 'version_not_increasing':
    case 'version_exists':
      return HttpStatus.CONFLICT;
    case 'payload_too_large':
      return HttpStatus.PAYLOAD_TOO_LARGE;
    case 'unsupported_media_type':
      return HttpStatus.UNSUPPORTED_MEDIA_TYPE;
    case 'checks_failed':
    case 'plugin_failed':
      return HttpStatus.UNPROCESSABLE_ENTITY;
    case 'rate_limited':
      return HttpStatus.TOO_MANY_REQUESTS;
    case 'plugin_timeout':
      return HttpStatus.GATEWAY_TIMEOUT;
    // An answer the bus could not carry (NATS max_payload): the message names the limit.
    case 'reply_too_large':
      return HttpStatus.BAD_GATEWAY;
    case 'unavailable':
      return HttpStatus.SERVICE_UNAVAILABLE;
    case 'internal':
      return HttpStatus.INTERNAL_SERVER_ERROR;
  }
}

/** Codes for errors Nest or Express raise before our code runs (bad JSON, unknown route, size limits). */
export function codeOfStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'bad_request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    default:
      return status >= 500 ? 'internal' : 'bad_request';
  }
}

import { ErrorCodes, type ErrorCode } from '@convergio/contracts';
import { codeOfStatus, statusOf } from './error-status.js';

/**
 * The statuses callers are promised: docs/operator-guide.md, plus plugin_failed (plugin author
 * guide, ADR 0003), unavailable and reply_too_large (operator guide) and internal (a fault of ours, never of the input).
 */
const documented: Record<ErrorCode, number> = {
  bad_request: 400,
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_owner: 403,
  policy_violation: 403,
  not_found: 404,
  method_not_allowed: 405,
  invalid_state: 409,
  conflict: 409,
  version_not_increasing: 409,
  version_exists: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  checks_failed: 422,
  plugin_failed: 422,
  rate_limited: 429,
  reply_too_large: 502,
  unavailable: 503,
  internal: 500,
  plugin_timeout: 504,
};

describe('statusOf', () => {
  it.each(ErrorCodes.map((code) => [code]))('gives %s its documented HTTP status', (code) => {
    expect(documented[code]).toBeDefined();
    expect(statusOf(code)).toBe(documented[code]);
  });
});

describe('codeOfStatus', () => {
  it.each([
    [400, 'bad_request'],
    [401, 'unauthorized'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [405, 'method_not_allowed'],
    [409, 'conflict'],
    [413, 'payload_too_large'],
    [429, 'rate_limited'],
    [415, 'unsupported_media_type'],
    [418, 'bad_request'],
    [500, 'internal'],
    [502, 'internal'],
  ] as const)('names a %i raised by Nest or Express %s', (status, code) => {
    expect(codeOfStatus(status)).toBe(code);
  });

  it('maps every code it produces back to the same status', () => {
    for (const status of [400, 401, 403, 404, 405, 409, 413, 415, 429])
      expect(statusOf(codeOfStatus(status))).toBe(status);
  });
});

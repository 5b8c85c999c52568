import { DomainError } from '@convergio/contracts';

const UNITS = [
  [1024 * 1024, 'MiB'],
  [1024, 'KiB'],
] as const;

/** `262144` → `262144 bytes (256 KiB)`: the exact figure, and one a person reads. */
function bytesText(bytes: number): string {
  const unit = UNITS.find(([size]) => bytes >= size && bytes % size === 0);
  return unit ? `${bytes} bytes (${bytes / unit[0]} ${unit[1]})` : `${bytes} bytes`;
}

/**
 * 413 for input over a size limit: the message names what was too large, the limit and the
 * variable that sets it; the detail's code names the limit (`manifest_too_large`, ...).
 */
export function tooLarge(what: string, code: string, limit: number, setting: string): DomainError {
  const message = `${what} is larger than ${bytesText(limit)}, the limit set by ${setting}`;
  return new DomainError('payload_too_large', message, [{ code, message }]);
}

/** 400 for JSON nested deeper than GATEWAY_MAX_JSON_DEPTH allows (detail code `json_too_deep`). */
export function tooDeep(what: string, limit: number): DomainError {
  const message = `${what} nests objects and arrays deeper than ${limit} levels, the limit set by GATEWAY_MAX_JSON_DEPTH`;
  return new DomainError('validation_failed', message, [{ code: 'json_too_deep', message }]);
}

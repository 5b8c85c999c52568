import { escapeAuditText } from '@convergio/contracts';

/** Longest `message` and `value` of a Finding (libs/contracts FindingSchema). */
export const MAX_FINDING_TEXT = 2000;
/** Longest `path` of a Finding (libs/contracts FindingSchema). */
export const MAX_FINDING_PATH = 500;

const ELLIPSIS = '…';

/**
 * `text` made safe to store and show: control characters and lone surrogates escaped as
 * `\uXXXX` (libs/contracts' audit form), then cut to at most `max` UTF-16 units with `…` at the
 * end. The cut never splits a surrogate pair nor an escape sequence.
 */
export function boundedText(text: string, max: number): string {
  const safe = escapeAuditText(text);
  if (safe.length <= max) return safe;
  const room = max - ELLIPSIS.length;
  let end = 0;
  while (end < safe.length) {
    const step = tokenLength(safe, end);
    if (end + step > room) break;
    end += step;
  }
  return safe.slice(0, end) + ELLIPSIS;
}

/** The length of the unit at `i` of an escaped string: an escape, a surrogate pair, or one unit. */
function tokenLength(safe: string, i: number): number {
  const unit = safe.charCodeAt(i);
  if (unit === 0x5c) return safe.charCodeAt(i + 1) === 0x5c ? 2 : 6;
  if (unit >= 0xd800 && unit <= 0xdbff) return 2;
  return 1;
}

/** A JSON pointer (RFC 6901) with one more reference token. */
export function childPointer(pointer: string, token: string | number): string {
  return `${pointer}/${String(token).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

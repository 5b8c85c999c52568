import { Type } from '@sinclair/typebox';
import { DomainError } from './error-codes.js';
import { describedPattern } from './error-details.js';
import { hasUnstorableCharacters } from './stored-text.js';

/** The most items a list route gives in one page (`limit`). */
export const MAX_PAGE_LIMIT = 500;
/** Items per page of a list route when `limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 100;

const CURSOR_PATTERN = describedPattern(
  '^[A-Za-z0-9_-]{1,512}$',
  "the previous page's `next_cursor`",
);

/** A page's opaque `next_cursor`, as a list hands it out and takes it back as `cursor`. */
export const PageCursorSchema = Type.String({
  pattern: CURSOR_PATTERN,
  maxLength: 512,
  description: "the previous page's `next_cursor`",
});

/** `limit` of a list request: at most {@link MAX_PAGE_LIMIT} items, fewer when they would not fit one bus message. */
export const PageLimitSchema = Type.Integer({
  minimum: 1,
  maximum: MAX_PAGE_LIMIT,
  description: `items per page, 1 to ${MAX_PAGE_LIMIT}; a page holds fewer when they would not fit one bus message`,
});

/** The `next_cursor` of a page reply: a cursor for the next page, null on the last page. */
export const NextCursorSchema = Type.Union(
  [Type.String({ pattern: CURSOR_PATTERN, maxLength: 512 }), Type.Null()],
  { description: 'pass as `cursor` for the next page; null on the last page' },
);

/**
 * The opaque cursor of a page of `list` ending at `position` (the sort key of its last item):
 * base64url, so clients cannot rely on its form. `list` is a short tag of the list (`approvals`),
 * so a cursor of one list is refused by another.
 */
export function encodePageCursor(list: string, position: readonly string[]): string {
  return Buffer.from(JSON.stringify([list, ...position])).toString('base64url');
}

/** Microseconds since the epoch of 0001-01-01 and of the end of 9999: what a cursor's time may be. */
const CURSOR_MICROS = { min: -62_135_596_800_000_000n, max: 253_402_300_799_999_999n };

/**
 * True if `text` is a time a cursor may hold: an integer number of microseconds since the epoch
 * (no sign but `-`, no leading zero) within the years 1 to 9999, so inside PostgreSQL's
 * `timestamptz` (which refuses what lies before 4713 BC).
 */
export function isCursorMicros(text: string): boolean {
  if (!/^-?(0|[1-9][0-9]{0,17})$/.test(text)) return false;
  const micros = BigInt(text);
  return micros >= CURSOR_MICROS.min && micros <= CURSOR_MICROS.max;
}

/**
 * The position (`size` strings) a cursor from {@link encodePageCursor} for `list` names. Clients
 * can write a cursor of their own: no string of it holds what PostgreSQL cannot store (NUL, a
 * lone surrogate), and `valid` checks the rest of what the list's query takes.
 * @throws DomainError `validation_failed` (`invalid_cursor` at `/cursor`) for any other text, or
 * when `valid` refuses the position
 */
export function decodePageCursor(
  list: string,
  cursor: string,
  size: number,
  valid: (position: string[]) => boolean = () => true,
): string[] {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    parts = undefined;
  }
  const position =
    Array.isArray(parts) &&
    parts.length === size + 1 &&
    parts[0] === list &&
    parts.every((p): p is string => typeof p === 'string' && !hasUnstorableCharacters(p))
      ? parts.slice(1)
      : undefined;
  if (!position || encodePageCursor(list, position) !== cursor || !valid(position))
    throw new DomainError('validation_failed', `invalid ${list} query`, [
      {
        code: 'invalid_cursor',
        message: `not a cursor this ${list} list handed out`,
        path: '/cursor',
      },
    ]);
  return position;
}

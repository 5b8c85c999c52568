import { Type } from '@sinclair/typebox';
import { DomainError } from './error-codes.js';

/** The most items a list route gives in one page (`limit`). */
export const MAX_PAGE_LIMIT = 500;
/** Items per page of a list route when `limit` is not given. */
export const DEFAULT_PAGE_LIMIT = 100;

const CURSOR_PATTERN = '^[A-Za-z0-9_-]{1,512}$';

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

/**
 * The position (`size` strings) a cursor from {@link encodePageCursor} for `list` names.
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
    parts.every((p) => typeof p === 'string')
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

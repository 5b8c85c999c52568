import { DomainError } from '@convergio/contracts';

const PREFIX = 'a1.';

/** The opaque `next_cursor` of a page ending at `seq`: base64url, so clients cannot rely on its form. */
export function encodeAuditCursor(seq: number): string {
  return Buffer.from(`${PREFIX}${seq}`).toString('base64url');
}

/** The seq a cursor from {@link encodeAuditCursor} names; throws `validation_failed` for any other text. */
export function decodeAuditCursor(cursor: string): number {
  const text = Buffer.from(cursor, 'base64url').toString();
  const digits = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  const seq = /^(0|[1-9][0-9]{0,15})$/.test(digits) ? Number(digits) : NaN;
  if (!Number.isSafeInteger(seq) || encodeAuditCursor(seq) !== cursor)
    throw new DomainError('validation_failed', 'invalid audit query', [
      {
        code: 'invalid_cursor',
        message: 'not a cursor this audit log handed out',
        path: '/cursor',
      },
    ]);
  return seq;
}

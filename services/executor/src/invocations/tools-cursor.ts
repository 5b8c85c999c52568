import { DomainError } from '@convergio/contracts';

const PREFIX = 't1.';

/** Where a page of tools ends: the plugin id and the tool name of its last tool. */
export interface ToolPosition {
  pluginId: string;
  name: string;
}

/** The opaque `next_cursor` of a page of tools ending at `p`: base64url, so clients cannot rely on its form. */
export function encodeToolsCursor(p: ToolPosition): string {
  return Buffer.from(`${PREFIX}${p.pluginId} ${p.name}`).toString('base64url');
}

/** The position a cursor from {@link encodeToolsCursor} names; throws `validation_failed` for any other text. */
export function decodeToolsCursor(cursor: string): ToolPosition {
  const text = Buffer.from(cursor, 'base64url').toString();
  const m = /^t1\.([^ ]+) ([A-Za-z_][A-Za-z0-9_]{0,63})$/.exec(text);
  if (!m || encodeToolsCursor({ pluginId: m[1], name: m[2] }) !== cursor)
    throw new DomainError('validation_failed', 'invalid tools query', [
      {
        code: 'invalid_cursor',
        message: 'not a cursor this tool list handed out',
        path: '/cursor',
      },
    ]);
  return { pluginId: m[1], name: m[2] };
}

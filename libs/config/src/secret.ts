import { CloneType, type TSchema } from '@sinclair/typebox';

/** Schema keyword that marks a variable whose value must never appear in errors or logs. */
export const SECRET_KEYWORD = 'secret';

/** Marks a variable's schema as secret, so `ConfigError` and docs never reveal its value. */
export function Secret<T extends TSchema>(schema: T): T {
  return CloneType(schema, { [SECRET_KEYWORD]: true });
}

/** Whether a variable's schema is marked secret (by `Secret()` or a `secret: true` option). */
export function isSecret(schema: TSchema): boolean {
  return (schema as Record<string, unknown>)[SECRET_KEYWORD] === true;
}

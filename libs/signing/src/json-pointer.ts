import { escapeAuditText } from '@convergio/contracts';

const MAX_PATH = 500;

/** A JSON pointer (RFC 6901) one member deeper: `~` and `/` of the key escaped. */
export function childPointer(parent: string, key: string | number): string {
  return `${parent}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/**
 * A pointer as a refusal reports it: printable (control characters and lone surrogates in
 * the audit log's `\uXXXX` form, as libs/contracts writes `invalid_characters` paths) and at
 * most 500 characters.
 */
export function reportedPointer(pointer: string): string {
  return escapeAuditText(pointer || '/').slice(0, MAX_PATH);
}

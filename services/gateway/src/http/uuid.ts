// A UUID in the forms the `uuid` format admits (ajv-formats): either case, bare or as a URN.
const UUID = /^(?:urn:uuid:)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;

/**
 * `text` as PostgreSQL and the audit records write a UUID: lower case, without the `urn:uuid:`
 * prefix (RFC 9562 §4: lower case on output, either case on input, and the URN form);
 * `undefined` when `text` is not a UUID. One spelling is what lets a key id be compared as a
 * string (cache, events, filters).
 */
export function canonicalUuid(text: string): string | undefined {
  return UUID.exec(text)?.[1]?.toLowerCase();
}

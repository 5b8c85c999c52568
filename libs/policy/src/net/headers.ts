import { fail, succeed, type Outcome } from '@convergio/contracts';
/**
 * Request headers a plugin may not set. Hop-by-hop headers and framing are the host's job
 * (a plugin-chosen `Transfer-Encoding` or `Content-Length` enables request smuggling);
 * `Host` would let a plugin reach another virtual host than the one that was checked;
 * `Proxy-*` could steer or authenticate to an intermediary; `Expect` would stall the call.
 */
const STRIPPED = new Set([
  'host',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'http2-settings',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
]);

/**
 * The only request headers carried when a redirect leaves the origin; every other one is
 * dropped, whatever its name. A denylist (fetch drops `Authorization`, curl also `Cookie`)
 * misses the credentials that APIs invent (`X-Api-Key`, `Private-Token`, `X-Goog-Api-Key`,
 * `X-Amz-Security-Token`...), and a plugin cannot tell us which of its headers are secret.
 * Kept: content negotiation, caching, ranges and conditionals (a validator is not a
 * credential, and dropping `If-Match` from a 307/308 would turn a conditional write into an
 * unconditional one), and the body's own headers while the body goes along.
 * Not kept: `Origin`, `Referer` (they name the first origin), tracing and request ids.
 */
const CROSS_ORIGIN_SAFE = new Set([
  'accept',
  'accept-charset',
  'accept-encoding',
  'accept-language',
  'user-agent',
  'cache-control',
  'pragma',
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
  'content-type',
  'content-encoding',
  'content-language',
]);

/** Body headers dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set([
  'content-type',
  'content-encoding',
  'content-language',
  'content-location',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * Header names (as the plugin or a server chose them) to values, in an object without a
 * prototype: a name such as `__proto__` or `constructor` is a header like any other, and a name
 * not set is undefined, never a member of Object.
 */
export type HeaderFields = Record<string, string>;

/**
 * `entries` in an object without a prototype, as {@link HeaderFields} (values of any type: a
 * response header may have several); a name given twice keeps its last value.
 */
export function headerFields<V = string>(
  entries: Iterable<readonly [string, V]>,
): Record<string, V> {
  const fields = Object.create(null) as Record<string, V>;
  for (const [name, value] of entries) fields[name] = value;
  return fields;
}

/** Request headers as they will be sent, and how many bytes they take on the wire. */
export interface SanitisedHeaders {
  headers: HeaderFields;
  bytes: number;
}

/**
 * Validates plugin request headers (names are tokens, values have no CR, LF or NUL) and
 * drops the ones the host owns. Names come back lowercase, a name given in several cases once
 * with its values joined by `, ` in order; `bytes` counts what is sent.
 */
export function sanitiseRequestHeaders(
  headers: Record<string, unknown>,
): Outcome<SanitisedHeaders> {
  const kept = new Map<string, string>();
  let bytes = 0;
  for (const [rawName, value] of Object.entries(headers)) {
    if (!TOKEN.test(rawName)) return fail(`header name ${JSON.stringify(rawName)} is invalid`);
    if (typeof value !== 'string') return fail(`header ${rawName} must be a string`);
    if (BAD_VALUE.test(value)) return fail(`header ${rawName} has a control character`);
    const name = rawName.toLowerCase();
    if (STRIPPED.has(name) || name.startsWith('proxy-')) continue;
    const earlier = kept.get(name);
    kept.set(name, earlier === undefined ? value : `${earlier}, ${value}`);
    bytes += name.length + value.length + 4;
  }
  return succeed({ headers: headerFields(kept), bytes });
}

/**
 * The headers to send on a redirect hop: all of them on the same origin, only the
 * CROSS_ORIGIN_SAFE ones on another; body headers go with the body. Names are compared
 * case-insensitively. Apply it to the previous hop's headers: what one hop dropped never
 * comes back, even if a later hop returns to the first origin.
 */
export function headersForRedirect(
  headers: Readonly<HeaderFields>,
  opts: { crossOrigin: boolean; bodyDropped: boolean },
): HeaderFields {
  return headerFields(
    Object.entries(headers).filter(([rawName]) => {
      const name = rawName.toLowerCase();
      if (opts.bodyDropped && BODY_HEADERS.has(name)) return false;
      return !opts.crossOrigin || CROSS_ORIGIN_SAFE.has(name);
    }),
  );
}

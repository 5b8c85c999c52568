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

/**
 * Fields whose definition is a comma-separated list (`#rule` in the ABNF), so the values of a
 * name written in several cases can be joined with ", " without changing their meaning
 * (RFC 9110 §5.3). Only those a plugin may send: the hop-by-hop lists are STRIPPED.
 */
const LIST_FIELDS = new Set([
  'accept', // RFC 9110 §12.5.1
  'accept-charset', // §12.5.2
  'accept-encoding', // §12.5.3
  'accept-language', // §12.5.4
  'content-encoding', // §8.4
  'content-language', // §8.5
  'if-match', // §13.1.1
  'if-none-match', // §13.1.2
  'via', // §7.6.3
  'cache-control', // RFC 9111 §5.2
]);

// Names and values as Node's http client checks them (lib/_http_common.js `checkIsHttpToken`,
// `checkInvalidHeaderChar`): it throws inside the request, once the name was resolved, so they
// are refused here first, with a reason. A value holds tab, space, visible ASCII and obs-text
// (U+0080 to U+00FF); the client sends it as latin1, one byte a character.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NOT_SENDABLE = /[^\t\x20-\x7e\x80-\xff]/u;

const codePoint = (character: string) =>
  `U+${(character.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The value sent for a name the plugin wrote twice (in two cases), or null when there is none.
 * A sender must not repeat a field unless it is a list, whose lines combine with ", " in order
 * (RFC 9110 §5.3). Cookie is no list, but a user agent sends it once with its pairs joined by
 * "; " (RFC 6265 §5.4). Any other field is refused rather than sent in a form its recipient would
 * misread: Set-Cookie cannot be combined at all (RFC 9110 §5.3), singletons such as
 * Authorization, Range or the dates hold commas of their own, and an extension field's
 * definition is unknown.
 */
function joined(name: string, earlier: string, value: string): string | null {
  if (name === 'cookie') return `${earlier}; ${value}`;
  return LIST_FIELDS.has(name) ? `${earlier}, ${value}` : null;
}

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
  /** The `name: value` lines with their CRLF, one byte a character (latin1, as Node sends them). */
  bytes: number;
}

/**
 * Validates plugin request headers (names are tokens, values hold only what Node's client sends)
 * and drops the ones the host owns. Names come back lowercase; a name given in several cases
 * once, as `joined` allows, else refused.
 */
export function sanitiseRequestHeaders(
  headers: Record<string, unknown>,
): Outcome<SanitisedHeaders> {
  const kept = new Map<string, { writtenAs: string; value: string }>();
  for (const [rawName, value] of Object.entries(headers)) {
    if (!TOKEN.test(rawName)) return fail(`header name ${JSON.stringify(rawName)} is invalid`);
    if (typeof value !== 'string') return fail(`header ${rawName} must be a string`);
    const bad = NOT_SENDABLE.exec(value);
    if (bad)
      return fail(
        `header ${rawName} has ${codePoint(bad[0])}; a header value holds only tab, space, visible ASCII and U+0080 to U+00FF`,
      );
    const name = rawName.toLowerCase();
    if (STRIPPED.has(name) || name.startsWith('proxy-')) continue;
    const earlier = kept.get(name);
    if (earlier === undefined) {
      kept.set(name, { writtenAs: rawName, value });
      continue;
    }
    const both = joined(name, earlier.value, value);
    if (both === null)
      return fail(
        `header ${rawName} repeats ${earlier.writtenAs}; only Cookie and list headers may be given in several cases`,
      );
    earlier.value = both;
  }
  let bytes = 0;
  for (const [name, { value }] of kept) bytes += name.length + value.length + 4; // ": ", CRLF
  return succeed({
    headers: headerFields(Array.from(kept, ([name, { value }]) => [name, value] as const)),
    bytes,
  });
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

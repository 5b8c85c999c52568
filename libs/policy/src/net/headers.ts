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

/** Headers that carry credentials and are dropped when a redirect leaves the origin (as fetch and curl do). */
const CREDENTIALS = new Set(['authorization', 'cookie']);

/** Body headers dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = new Set([
  'content-type',
  'content-encoding',
  'content-language',
  'content-location',
]);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const BAD_VALUE = /[\u0000-\u0008\u000a-\u001f\u007f]/;

export type SanitisedHeaders =
  { ok: true; headers: Record<string, string>; bytes: number } | { ok: false; reason: string };

/**
 * Validates plugin request headers (names are tokens, values have no CR, LF or NUL) and
 * drops the ones the host owns. Names come back lowercase; `bytes` counts what is sent.
 */
export function sanitiseRequestHeaders(headers: Record<string, unknown>): SanitisedHeaders {
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [rawName, value] of Object.entries(headers)) {
    if (!TOKEN.test(rawName))
      return { ok: false, reason: `header name ${JSON.stringify(rawName)} is invalid` };
    if (typeof value !== 'string')
      return { ok: false, reason: `header ${rawName} must be a string` };
    if (BAD_VALUE.test(value))
      return { ok: false, reason: `header ${rawName} has a control character` };
    const name = rawName.toLowerCase();
    if (STRIPPED.has(name) || name.startsWith('proxy-')) continue;
    out[name] = name in out ? `${out[name]}, ${value}` : value;
    bytes += name.length + value.length + 4;
  }
  return { ok: true, headers: out, bytes };
}

/** The headers to send on a redirect hop: credentials stay on their origin, body headers go with the body. */
export function headersForRedirect(
  headers: Readonly<Record<string, string>>,
  opts: { crossOrigin: boolean; bodyDropped: boolean },
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name]) =>
        !(opts.crossOrigin && CREDENTIALS.has(name)) &&
        !(opts.bodyDropped && BODY_HEADERS.has(name)),
    ),
  );
}

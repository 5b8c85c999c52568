import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { sendRefusal } from './refusal-reply.js';

/**
 * Request headers a client may send only once (lower-cased name → name as a refusal says it): each is a single value, not a comma-separated
 * list, and RFC 9110 §5.3 forbids a sender to repeat such a field. Node keeps the first of each
 * (its `joinDuplicateHeaders` is off) where a proxy in front may keep the last, and the two would
 * then read another identity, body type or host:
 * - `Host`: RFC 9112 §3.2, a server must answer 400 to more than one;
 * - `Authorization`: RFC 9110 §11.6.2 (one set of credentials);
 * - `Content-Type`: RFC 9110 §8.3 (one media type).
 *
 * Not listed: `Content-Length`, which Node's parser refuses repeated itself (400
 * `malformed_request`); `Content-Encoding` and `Transfer-Encoding`, lists (RFC 9110 §8.4, RFC
 * 9112 §6.1) that Node joins, so every reader sees every coding.
 */
const SINGLETON_HEADERS: ReadonlyMap<string, string> = new Map([
  ['host', 'Host'],
  ['authorization', 'Authorization'],
  ['content-type', 'Content-Type'],
]);

/**
 * Fastify `onRequest` hook refusing, before any other hook, guard or handler, with 400 in the
 * platform's error shape and the connection closed: an HTTP/1.1 request without `Host`
 * (`missing_host`, RFC 9112 §3.2; bootstrapService turns off Node's own answer, a bare 400), and
 * a request repeating one of {@link SINGLETON_HEADERS} (`duplicate_header`, naming it); and with
 * 505 a request line of another major version than HTTP/1 (`http_version_not_supported`, RFC
 * 9110 §15.6.6: Node's parser reads `HTTP/2.0` as if it were 1.1).
 */
export function requestHeadersHook(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
): void {
  const { raw } = request;
  if (raw.httpVersionMajor !== 1)
    return sendRefusal(
      reply,
      {
        status: 505,
        code: 'http_version_not_supported',
        message: `HTTP/${raw.httpVersion} is not served: send HTTP/1.1 (or 1.0) over this connection`,
      },
      true,
    );
  if (raw.httpVersionMajor === 1 && raw.httpVersionMinor === 1 && raw.headers.host === undefined)
    return sendRefusal(
      reply,
      {
        status: 400,
        code: 'missing_host',
        message: 'an HTTP/1.1 request must have a Host header (RFC 9112 §3.2)',
      },
      true,
    );
  const repeated = repeatedSingleton(raw.rawHeaders);
  if (repeated === undefined) return done();
  sendRefusal(
    reply,
    {
      status: 400,
      code: 'duplicate_header',
      message: `the header ${repeated} is sent more than once; send it once (RFC 9110 §5.3)`,
    },
    true,
  );
}

/** The name of the first {@link SINGLETON_HEADERS} header `rawHeaders` repeats. */
function repeatedSingleton(rawHeaders: string[]): string | undefined {
  const seen: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = SINGLETON_HEADERS.get(rawHeaders[i].toLowerCase());
    if (name === undefined) continue;
    if (seen.includes(name)) return name;
    seen.push(name);
  }
  return undefined;
}

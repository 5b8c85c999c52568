import { Body, type PipeTransform, type Type } from '@nestjs/common';
import { FASTIFY_ROUTE_CONFIG_METADATA } from '@nestjs/platform-fastify/constants.js';
import type { FastifyReply, FastifyRequest, RequestPayload } from 'fastify';
import { DomainError } from '@convergio/contracts';

/** The media type of every gateway body but the submission's. */
const JSON_MEDIA_TYPE = 'application/json';

/** What a route's body must be: its media type, and what a refusal tells the client to send. */
interface BodyType {
  mediaType: string;
  says: string;
}

const BODY_TYPE = 'convergioBodyType';
const JSON_BODY: BodyType = {
  mediaType: JSON_MEDIA_TYPE,
  says: "a JSON body with Content-Type: application/json (curl -d sends application/x-www-form-urlencoded: add -H 'Content-Type: application/json')",
};

/**
 * Adds the body type to the Fastify route config of `handler`, keeping what is there. Nest's
 * `@RouteConfig` replaces the whole config, after these (a method's decorators run after its
 * parameters'): a handler using it takes no body again, and every body sent to it is refused.
 */
function markBodyType(handler: object, bodyType: BodyType): void {
  const config = Reflect.getMetadata(FASTIFY_ROUTE_CONFIG_METADATA, handler) as object | undefined;
  Reflect.defineMetadata(
    FASTIFY_ROUTE_CONFIG_METADATA,
    { ...config, [BODY_TYPE]: bodyType },
    handler,
  );
}

/** Marks a route whose body is not JSON (the submission's multipart form). */
export const TakesBody =
  (mediaType: string, says: string): MethodDecorator =>
  (_target, _key, descriptor) =>
    markBodyType(descriptor.value as object, { mediaType, says });

/**
 * `@Body()` of a route that takes JSON: the handler's parameter gets the body through `pipes`,
 * and the route is marked as taking a JSON body. A route marked neither so nor with
 * {@link TakesBody} takes no body, and {@link refuseOtherBodies} refuses one sent to it: a
 * handler reading its body with a plain `@Body()` is refused every body.
 */
export const JsonBody =
  (...pipes: (Type<PipeTransform> | PipeTransform)[]): ParameterDecorator =>
  (target, key, index) => {
    Body(...pipes)(target, key, index);
    markBodyType((target as Record<string | symbol, object>)[key!], JSON_BODY);
  };

/** Methods whose requests Fastify reads a body for; GET and HEAD bodies are never read. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);
/** RFC 9110 `token "/" token`. */
const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+$/;
/** The only charset the gateway reads a body in, as a `charset` parameter may name it. */
const UTF8 = new Set(['utf-8', 'utf8']);

/**
 * Fastify `preParsing` hook: a request with a body its route does not take is refused before
 * the body is read, so before any guard, pipe or handler runs and nothing changes:
 * - a body, of any type and with any method, sent to a route that takes none (neither
 *   {@link JsonBody} nor {@link TakesBody}): `POST /v1/api-keys/{id}/rotate -d '{"roles":["auditor"]}'`
 *   would otherwise rotate, as if the roles were read. 400 `bad_request`, detail `body_not_taken`;
 * - a body not of the type its route takes (JSON, or what {@link TakesBody} declares): 415
 *   `unsupported_media_type` naming the type to send. That includes bodies without a
 *   Content-Type and `+json` types (`application/vnd.api+json`, `application/merge-patch+json`):
 *   the gateway reads plain JSON only and gives no such type its meaning. A Content-Type that is
 *   not a media type at all is refused even without a body, on any route but a GET or HEAD;
 * - a body that cannot be read as sent, in UTF-8: one with a Content-Encoding other than
 *   `identity` (gzip, deflate, br, ...), a transfer coding other than chunked
 *   (`Transfer-Encoding: gzip, chunked`, which Node's parser un-chunks but never decompresses) or
 *   a `charset` parameter other than utf-8 (latin1, utf-16, ...), rather than read as if it had
 *   neither.
 *
 * Unknown routes are left to their 404.
 */
export function refuseOtherBodies(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: RequestPayload,
  done: (error: Error | null, payload?: RequestPayload) => void,
): void {
  if (request.is404) return done(null, payload);
  const wanted = declaredBodyType(request);
  if (wanted === undefined && hasBody(request)) return done(bodyNotTaken(request), payload);
  if (BODYLESS.has(request.method)) return done(null, payload);
  const header = request.headers['content-type'];
  const mediaType = header?.split(';')[0].trim().toLowerCase();
  const readable = mediaType !== undefined && MEDIA_TYPE.test(mediaType);
  if (!hasBody(request) && (header === undefined || readable)) return done(null, payload);
  if (wanted === undefined)
    return done(
      new DomainError(
        'unsupported_media_type',
        `${routeOf(request)} takes no body; this request has the Content-Type "${header!.slice(0, 100)}", which is not a media type: send it without a Content-Type`,
        [{ code: 'content_type', message: 'send the request without a Content-Type' }],
      ),
      payload,
    );
  if (mediaType === wanted.mediaType) return done(unreadable(request, wanted), payload);
  const sent =
    header === undefined
      ? 'has a body without a Content-Type'
      : readable
        ? `is ${mediaType.slice(0, 100)}`
        : `has the Content-Type "${header.slice(0, 100)}", which is not a media type`;
  const message = `${routeOf(request)} takes ${wanted.says}; this request ${sent}`;
  done(
    new DomainError('unsupported_media_type', message, [
      { code: 'content_type', message: `send Content-Type: ${wanted.mediaType}` },
    ]),
  );
}

const bodyNotTaken = (request: FastifyRequest) =>
  new DomainError(
    'bad_request',
    `${routeOf(request)} takes no body; this request has one: send it without a body`,
    [{ code: 'body_not_taken', message: 'send the request without a body' }],
  );

/**
 * Why a body of the right media type still cannot be read as sent: a content coding, or a
 * charset other than UTF-8; null when it can.
 */
function unreadable(request: FastifyRequest, wanted: BodyType): DomainError | null {
  const transfer = request.headers['transfer-encoding'];
  if (transfer !== undefined && !transferCodings(transfer).every((c) => AS_SENT.has(c)))
    return new DomainError(
      'unsupported_media_type',
      `${routeOf(request)} reads its body as sent; this request's body has Transfer-Encoding: ${transfer.slice(0, 100)}: send it uncompressed, with Transfer-Encoding: chunked alone or a Content-Length`,
      [
        {
          code: 'transfer_encoding',
          message: 'send the body with Transfer-Encoding: chunked alone, or with a Content-Length',
        },
      ],
    );
  const coding = request.headers['content-encoding']?.trim().toLowerCase();
  if (hasBody(request) && coding && coding !== 'identity')
    return new DomainError(
      'unsupported_media_type',
      `${routeOf(request)} reads its body as sent; this request's body has Content-Encoding: ${coding.slice(0, 100)}: send it uncompressed, without a Content-Encoding header`,
      [{ code: 'content_encoding', message: 'send the body without Content-Encoding' }],
    );
  const charset = charsetOf(request.headers['content-type'] ?? '');
  if (charset !== undefined && !UTF8.has(charset))
    return new DomainError(
      'unsupported_media_type',
      `${routeOf(request)} takes ${wanted.says}, in UTF-8; this request says charset=${charset.slice(0, 100)}: send the body in UTF-8, with charset=utf-8 or no charset`,
      [{ code: 'charset', message: `send Content-Type: ${wanted.mediaType}; charset=utf-8` }],
    );
  return null;
}

/**
 * The transfer codings that leave a body as sent once Node has removed the chunked framing
 * (RFC 9112 §7; `identity` is no longer registered, and means nothing was applied).
 */
const AS_SENT = new Set(['chunked', 'identity']);

/** The codings a Transfer-Encoding header lists, lower-cased (`gzip, chunked`: gzip and chunked). */
const transferCodings = (header: string) =>
  header.split(',').map((c) => c.split(';')[0].trim().toLowerCase());

/**
 * The `charset` of a Content-Type header, lower-cased and unquoted, if it has one. A header naming
 * it twice, or in the extended form `charset*` (RFC 8187), answers all it names joined by `, `:
 * never one reader's pick among them, so it is never taken for UTF-8.
 */
function charsetOf(header: string): string | undefined {
  // The usual header has no parameters at all.
  if (!header.includes(';')) return undefined;
  const named: string[] = [];
  for (const parameter of header.split(';').slice(1)) {
    const [name, ...value] = parameter.split('=');
    const key = name.trim().toLowerCase();
    if (key === 'charset' || key === 'charset*')
      named.push(
        `${key === 'charset*' ? '*' : ''}${value
          .join('=')
          .trim()
          .replace(/^"(.*)"$/, '$1')
          .toLowerCase()}`,
      );
  }
  return named.length === 0 ? undefined : named.join(', ');
}

/** The method and route pattern of `request`, as a refusal names them. */
function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? request.url}`;
}

function declaredBodyType(request: FastifyRequest): BodyType | undefined {
  return (request.routeOptions.config as { [BODY_TYPE]?: BodyType } | undefined)?.[BODY_TYPE];
}

/** Whether `request` has a body, as Fastify decides it: a Transfer-Encoding, or a Content-Length other than 0. */
export function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

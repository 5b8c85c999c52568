import { RouteConfig } from '@nestjs/platform-fastify';
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

/** Marks a route whose body is not JSON (the submission's multipart form). */
export const TakesBody = (mediaType: string, says: string) =>
  RouteConfig({ [BODY_TYPE]: { mediaType, says } satisfies BodyType });

/** Methods whose requests Fastify reads a body for; GET and HEAD bodies are never read. */
const BODYLESS = new Set(['GET', 'HEAD', 'TRACE']);
/** RFC 9110 `token "/" token`. */
const MEDIA_TYPE = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+$/;

/**
 * Fastify `preParsing` hook: a request whose body is not of the type its route takes (JSON
 * unless the route says otherwise with {@link TakesBody}) is refused with 415
 * `unsupported_media_type` naming the type to send, before the body is read, so before any
 * guard, pipe or handler runs and nothing changes. That includes bodies without a Content-Type
 * and `+json` types (`application/vnd.api+json`, `application/merge-patch+json`): the gateway
 * reads plain JSON only and gives no such type its meaning. A Content-Type that is not a media
 * type at all is refused even without a body. Unknown routes are left to their 404.
 */
export function refuseOtherBodies(
  request: FastifyRequest,
  _reply: FastifyReply,
  payload: RequestPayload,
  done: (error: Error | null, payload?: RequestPayload) => void,
): void {
  if (request.is404 || BODYLESS.has(request.method)) return done(null, payload);
  const header = request.headers['content-type'];
  const mediaType = header?.split(';')[0].trim().toLowerCase();
  const readable = mediaType !== undefined && MEDIA_TYPE.test(mediaType);
  if (!hasBody(request) && (header === undefined || readable)) return done(null, payload);
  const wanted = bodyTypeOf(request);
  if (mediaType === wanted.mediaType) return done(null, payload);
  const sent =
    header === undefined
      ? 'has a body without a Content-Type'
      : readable
        ? `is ${mediaType.slice(0, 100)}`
        : `has the Content-Type "${header.slice(0, 100)}", which is not a media type`;
  const message = `${request.method} ${request.routeOptions.url ?? request.url} takes ${wanted.says}; this request ${sent}`;
  done(
    new DomainError('unsupported_media_type', message, [
      { code: 'content_type', message: `send Content-Type: ${wanted.mediaType}` },
    ]),
  );
}

function bodyTypeOf(request: FastifyRequest): BodyType {
  const config = request.routeOptions.config as { [BODY_TYPE]?: BodyType } | undefined;
  return config?.[BODY_TYPE] ?? JSON_BODY;
}

/** As Fastify decides it: a Transfer-Encoding, or a Content-Length other than 0. */
function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0')
  );
}

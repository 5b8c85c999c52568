import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  RouteOptions,
} from 'fastify';

/** Where a service that serves an OpenAPI description serves it (the gateway's SwaggerModule). */
const DOCS = '/docs';
/**
 * Paths a wildcard route (static files) never serves, which its file server would refuse with a
 * bare 403: dot segments (between slashes or backslashes, as the file server reads them) and NUL;
 * and segments longer than a file name may be ({@link NAME_MAX} bytes).
 */
const UNSERVABLE_SEGMENT = /(^|[\\/])\.\.?([\\/]|$)|\0/;
/** The longest file name, bytes (Linux NAME_MAX). */
const NAME_MAX = 255;

/**
 * Fastify hooks that answer a path no route serves with 404 `not_found` in the platform's error
 * shape, `{"error": {code, message, details}}`, saying where the routes are: the OpenAPI
 * description at /docs when the service has one (the gateway), otherwise the GET routes the
 * service has (/healthz, /readyz, /metrics for the others). Such a path never reaches Nest's
 * not-found handler ("Cannot GET …" in Nest's shape, or in none on a service without an error
 * filter). A path a wildcard route (the /docs static files) would take but cannot serve, a dot
 * segment or NUL in its tail, is answered the same way rather than with the file server's bare
 * 403, and so is one it finds no file for (its `reply.callNotFound()`). `onRoute` must be added
 * before any route is; `onRequest` after methodNotAllowedHook, so that a path some route takes
 * under another method stays a 405, and as a `preHandler` hook too, which the not-found handler
 * runs when a route calls it.
 */
export function notFoundHooks(fastify: FastifyInstance) {
  const gets: string[] = [];
  let guide: string | undefined;
  return {
    onRoute: (route: RouteOptions): void => {
      const methods = [route.method].flat();
      if (methods.includes('GET') && !route.url.includes('*')) gets.push(route.url);
    },
    onRequest: (
      request: FastifyRequest,
      reply: FastifyReply,
      done: HookHandlerDoneFunction,
    ): void => {
      if (!request.is404 && !unservable(request)) return done();
      guide ??= fastify.hasRoute({ method: 'GET', url: DOCS })
        ? `the routes are described at ${DOCS} (OpenAPI; JSON at ${DOCS}-json)`
        : `this service answers only GET ${[...new Set(gets)].sort().join(', ')}`;
      const path = request.url.split('?')[0].slice(0, 200);
      const message = `no route serves ${request.method} ${path}: ${guide}`;
      void reply
        .code(404)
        .type('application/json; charset=utf-8')
        .send(`${JSON.stringify({ error: { code: 'not_found', message, details: [] } })}\n`);
    },
  };
}

/**
 * A request to a wildcard route whose wildcard part no file can be at. Only a wildcard route has
 * the parameter `*`; looking at it first spares every other request Fastify's `routeOptions`,
 * which builds a new object on each read.
 */
function unservable(request: FastifyRequest): boolean {
  const tail = (request.params as Record<string, string | undefined> | undefined)?.['*'];
  return (
    tail !== undefined &&
    (UNSERVABLE_SEGMENT.test(tail) ||
      tail.split(/[\\/]/).some((segment) => Buffer.byteLength(segment) > NAME_MAX))
  );
}

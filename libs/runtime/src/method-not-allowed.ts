import type {
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
} from 'fastify';

/** True when the path of `url` (its query aside) is valid percent-encoding of UTF-8. */
function decodes(url: string): boolean {
  const query = url.indexOf('?');
  try {
    decodeURIComponent(query === -1 ? url : url.slice(0, query));
    return true;
  } catch {
    return false;
  }
}

/**
 * The methods Fastify's own router takes on the path of `url` (a request URL as received, its
 * query ignored, trailing slash and parameter rules as for routing), sorted; empty when no
 * route matches the path under any method, or when the path does not decode (the router
 * answers that itself, 400 `bad_url`).
 */
export function allowedMethods(fastify: FastifyInstance, url: string): string[] {
  if (!decodes(url)) return [];
  return fastify.supportedMethods
    .filter((method) => fastify.findRoute({ method, url }) !== null)
    .sort();
}

/**
 * Fastify `onRequest` hook: a request that found no route, on a path that some route takes
 * under another method, is answered 405 `method_not_allowed` with an `Allow` header listing
 * those methods, in the platform's error shape `{"error": {code, message, details}}`, and
 * never reaches the not-found handler. A path no route takes stays a 404. Costs nothing on a
 * routed request.
 */
export function methodNotAllowedHook(fastify: FastifyInstance) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    if (!request.is404) return done();
    const allowed = allowedMethods(fastify, request.url);
    if (allowed.length === 0) return done();
    const list = allowed.join(', ');
    const message = `${request.method} is not allowed on this path; it takes ${list} (the Allow header lists them)`;
    void reply
      .code(405)
      .header('allow', list)
      .type('application/json; charset=utf-8')
      .send(`${JSON.stringify({ error: { code: 'method_not_allowed', message, details: [] } })}\n`);
  };
}

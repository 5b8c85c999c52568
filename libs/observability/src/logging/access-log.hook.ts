import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceLogger } from './service-logger.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Status an access-log line records for a request whose client closed the connection before
 * the answer was sent (nginx's convention; no client ever receives it).
 */
const CLIENT_CLOSED_REQUEST = 499;

/** Marks a request whose access-log line is written, so none gets two. */
const LOGGED = Symbol('accessLogged');
type LoggedRequest = FastifyRequest & { [LOGGED]?: true };

/**
 * Fastify `onResponse` hook writing one access-log line per request once its response is
 * finished: method, route pattern (never the raw path, which the client controls), status,
 * duration and the id of the API key that authenticated it (`request.principal.keyId`, set by
 * the gateway's authentication), never the key.
 */
export function accessLogHook(logger: ServiceLogger) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    logAccess(logger, request, reply.statusCode, reply.elapsedTime);
    done();
  };
}

/**
 * Fastify `onRequest` hook: a request whose client closed the connection before its answer was
 * sent (its response closed unfinished, which Fastify's `onResponse` never sees) gets its
 * access-log line too, with status {@link CLIENT_CLOSED_REQUEST} (499).
 */
export function abortedRequestLogHook(logger: ServiceLogger) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished)
        logAccess(logger, request, CLIENT_CLOSED_REQUEST, reply.elapsedTime);
    });
    done();
  };
}

/**
 * The access-log line of one request, for answers sent outside the route lifecycle too
 * (Fastify's framework errors, which run no hooks and keep no start time): `status` is the one
 * answered, `elapsedMs` the time it took. A request is logged once: a later call for it (the
 * response of a request already logged as aborted) writes nothing.
 */
export function logAccess(
  logger: ServiceLogger,
  request: FastifyRequest,
  status: number,
  elapsedMs: number,
): void {
  const logged = request as LoggedRequest;
  if (logged[LOGGED]) return;
  logged[LOGGED] = true;
  const pattern = request.is404 ? undefined : request.routeOptions.url;
  const route = pattern ?? '(no route)';
  const principal = (request as FastifyRequest & { principal?: { keyId?: string } }).principal;
  logger.access(
    {
      method: request.method,
      route,
      status,
      duration_ms: Math.round(elapsedMs * 100) / 100,
      key_id: principal?.keyId ?? null,
    },
    PROBES.has(route),
  );
}

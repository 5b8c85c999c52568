import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceLogger } from './service-logger.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Fastify `onResponse` hook writing one access-log line per request once its response is
 * finished: method, route pattern (never the raw path, which the client controls), status,
 * duration and the id of the API key that authenticated it (`request.principal.keyId`, set by
 * the gateway's guard), never the key.
 */
export function accessLogHook(logger: ServiceLogger) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    logAccess(logger, request, reply, reply.elapsedTime);
    done();
  };
}

/**
 * The access-log line of one finished request, for answers sent outside the route lifecycle too
 * (Fastify's framework errors, which run no hooks and keep no start time): `elapsedMs` is the
 * time it took.
 */
export function logAccess(
  logger: ServiceLogger,
  request: FastifyRequest,
  reply: FastifyReply,
  elapsedMs: number,
): void {
  const pattern = request.is404 ? undefined : request.routeOptions.url;
  const route = pattern ?? '(no route)';
  const principal = (request as FastifyRequest & { principal?: { keyId?: string } }).principal;
  logger.access(
    {
      method: request.method,
      route,
      status: reply.statusCode,
      duration_ms: Math.round(elapsedMs * 100) / 100,
      key_id: principal?.keyId ?? null,
    },
    PROBES.has(route),
  );
}

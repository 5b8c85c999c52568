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
    const pattern = request.is404 ? undefined : request.routeOptions.url;
    const route = pattern ?? '(no route)';
    const principal = (request as FastifyRequest & { principal?: { keyId?: string } }).principal;
    logger.access(
      {
        method: request.method,
        route,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 100) / 100,
        key_id: principal?.keyId ?? null,
      },
      PROBES.has(route),
    );
    done();
  };
}

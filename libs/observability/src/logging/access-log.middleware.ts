import type { NextFunction, Request, Response } from 'express';
import type { ServiceLogger } from './service-logger.js';

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

/**
 * Express middleware writing one access-log line per request when its response is finished:
 * method, route pattern (never the raw path, which the client controls), status, duration and
 * the id of the API key that authenticated it (`request.principal.keyId`, set by the gateway's
 * guard), never the key.
 */
export function accessLog(logger: ServiceLogger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    res.once('finish', () => {
      const pattern = (req.route as { path?: unknown } | undefined)?.path;
      const route = typeof pattern === 'string' ? `${req.baseUrl}${pattern}` : '(no route)';
      const principal = (req as Request & { principal?: { keyId?: string } }).principal;
      logger.access(
        {
          method: req.method,
          route,
          status: res.statusCode,
          duration_ms: Math.round((performance.now() - started) * 100) / 100,
          key_id: principal?.keyId ?? null,
        },
        PROBES.has(route),
      );
    });
    next();
  };
}

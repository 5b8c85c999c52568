import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { logAccess, type ServiceLogger } from '@convergio/observability';

/** Fastify's `maxParamLength` as bootstrapService sets it. */
export const MAX_PARAM_CHARS = 16 * 1024;

/** What each framework error tells the client, in the platform's error shape. */
function describe(error: FastifyError): { status: number; code: string; message: string } {
  switch (error.code) {
    case 'FST_ERR_BAD_URL':
      return {
        status: 400,
        code: 'bad_url',
        message:
          'the request path is not valid percent-encoding: each % starts an escape of two hexadecimal digits (%25 for a % itself), and the escaped bytes must be UTF-8',
      };
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        status: 414,
        code: 'path_too_long',
        message: `a path parameter is longer than ${MAX_PARAM_CHARS} characters`,
      };
    default:
      return { status: 500, code: 'internal', message: 'the request could not be routed' };
  }
}

/**
 * Fastify's `frameworkErrors`: what its router refuses before any route, hook or Nest filter
 * runs (a path whose percent-encoding does not decode) is answered like every other error,
 * `{"error": {code, message, details}}` ending with a newline, with its access-log line (the
 * route is `(no route)`, never the raw path).
 */
export function frameworkErrorReply(logger: ServiceLogger) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const started = performance.now();
    const { status, code, message } = describe(error);
    const body = {
      error: {
        code: status >= 500 ? 'internal' : 'bad_request',
        message,
        details: [{ code, message }],
      },
    };
    reply.raw.once('finish', () =>
      logAccess(logger, request, reply.statusCode, performance.now() - started),
    );
    void reply
      .code(status)
      .type('application/json; charset=utf-8')
      .send(`${JSON.stringify(body)}\n`);
  };
}

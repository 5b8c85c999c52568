import { randomUUID } from 'node:crypto';
import {
  Catch,
  HttpException,
  Inject,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorDetail } from '@convergio/contracts';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { codeOfStatus, statusOf } from './error-status.js';
import { jsonBodyError } from './json-body.js';
import { RetryLaterError } from './retry-later.js';

/** Every error leaves the gateway as {"error": {code, message, details}}; unknown ones get an id that is logged. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HttpError');

  constructor(
    private readonly adapter: HttpAdapterHost,
    @Inject(GATEWAY_LIMITS) private readonly limits: GatewayLimits,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const { status, code, message, details } = clientGone(exception, http.getRequest())
      ? this.clientClosed()
      : this.describe(exception);
    const response = http.getResponse<FastifyReply>();
    if (exception instanceof RetryLaterError)
      void response.header('retry-after', String(exception.retryAfterSeconds));
    this.adapter.httpAdapter.reply(response, { error: { code, message, details } }, status);
  }

  /**
   * The client closed the connection while its body was read: its doing, not ours, so no stack
   * and no error-level line (the access log records the request with status 499).
   */
  private clientClosed() {
    const message = 'the client closed the connection before its request body was complete';
    this.log.debug(message);
    return { status: 400, code: 'bad_request', message, details: [] };
  }

  private describe(e: unknown): {
    status: number;
    code: string;
    message: string;
    details: ErrorDetail[];
  } {
    // Nest wraps what Fastify raises before a route runs (a body over its limit) in an
    // HttpException; a body parser's own DomainError arrives as it is.
    const cause = e instanceof HttpException ? e.cause : undefined;
    const domain = cause instanceof DomainError ? cause : (jsonBodyError(cause, this.limits) ?? e);
    if (domain instanceof DomainError)
      return {
        status: statusOf(domain.code),
        code: domain.code,
        message: domain.message,
        details: domain.details,
      };
    if (e instanceof HttpException) {
      const status = e.getStatus();
      return { status, code: codeOfStatus(status), message: e.message, details: [] };
    }
    const id = randomUUID();
    this.log.error(`unhandled error ${id}`, e instanceof Error ? e.stack : String(e));
    return { status: 500, code: 'internal', message: `internal error (id ${id})`, details: [] };
  }
}

/** An error of reading a request whose client has gone (Node's `aborted`, ECONNRESET). */
function clientGone(e: unknown, request: FastifyRequest | undefined): boolean {
  const { code } = (e ?? {}) as { code?: unknown };
  return code === 'ECONNRESET' && request?.raw.destroyed === true;
}

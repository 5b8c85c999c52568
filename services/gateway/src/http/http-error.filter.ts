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
import { DomainError, type ErrorDetail } from '@convergio/contracts';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { codeOfStatus, statusOf } from './error-status.js';
import { jsonBodyError } from './json-body.js';

/** Every error leaves the gateway as {"error": {code, message, details}}; unknown ones get an id that is logged. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HttpError');

  constructor(
    private readonly adapter: HttpAdapterHost,
    @Inject(GATEWAY_LIMITS) private readonly limits: GatewayLimits,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { status, code, message, details } = this.describe(exception);
    this.adapter.httpAdapter.reply(
      host.switchToHttp().getResponse(),
      { error: { code, message, details } },
      status,
    );
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

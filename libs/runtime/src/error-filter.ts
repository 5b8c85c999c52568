import { randomUUID } from 'node:crypto';
import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { DomainError, type ErrorDetail } from '@convergio/contracts';
import { codeOfStatus, statusOf } from './error-status.js';

/** An error as a service answers it: the status and the body's `{"error": {...}}`. */
export interface ErrorReply {
  status: number;
  code: string;
  message: string;
  details: ErrorDetail[];
}

/**
 * Every error of a service's routes leaves it as `{"error": {code, message, details}}`: a
 * DomainError with the status of its code, an HttpException with the code of its status, and
 * anything else as 500 `internal` whose message gives an id, logged with the stack.
 * bootstrapService registers it for every service; a filter a service registers itself (the
 * gateway's, which extends this one) takes precedence.
 */
@Catch()
export class PlatformErrorFilter implements ExceptionFilter {
  protected readonly log = new Logger('HttpError');

  constructor(private readonly adapter: HttpAdapterHost) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    this.send(host, this.describe(exception));
  }

  /** Answers the request of `host` with `reply`. */
  protected send(host: ArgumentsHost, { status, code, message, details }: ErrorReply): void {
    const response: unknown = host.switchToHttp().getResponse();
    this.adapter.httpAdapter.reply(response, { error: { code, message, details } }, status);
  }

  /** The reply to `e`. */
  protected describe(e: unknown): ErrorReply {
    const domain = this.domainErrorOf(e);
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

  /**
   * The DomainError that `e` is or carries (Nest wraps what Fastify raises before a route runs
   * in an HttpException whose cause it is); `e` itself otherwise.
   */
  protected domainErrorOf(e: unknown): unknown {
    const cause = e instanceof HttpException ? e.cause : undefined;
    return cause instanceof DomainError ? cause : e;
  }
}

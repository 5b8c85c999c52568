import { randomUUID } from 'node:crypto';
import {
  Catch,
  HttpException,
  Logger,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { Response } from 'express';
import { DomainError, type ErrorDetail } from '@convergio/contracts';
import { codeOfStatus, statusOf } from './error-status.js';
import { jsonBodyError } from './json-body.js';

const domainCause = (cause: unknown) =>
  cause instanceof DomainError ? cause : jsonBodyError(cause);

/** Every error leaves the gateway as {"error": {code, message, details}}; unknown ones get an id that is logged. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly log = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const { status, code, message, details } = this.describe(exception);
    res.status(status).json({ error: { code, message, details } });
  }

  private describe(e: unknown): {
    status: number;
    code: string;
    message: string;
    details: ErrorDetail[];
  } {
    // Nest wraps what Express middleware raises (the JSON parser, multer) in an HttpException.
    const domain = e instanceof HttpException ? (domainCause(e.cause) ?? e) : e;
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

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
    if (e instanceof DomainError)
      return { status: statusOf(e.code), code: e.code, message: e.message, details: e.details };
    if (e instanceof HttpException) {
      const status = e.getStatus();
      return { status, code: codeOfStatus(status), message: e.message, details: [] };
    }
    const id = randomUUID();
    this.log.error(`unhandled error ${id}`, e instanceof Error ? e.stack : String(e));
    return { status: 500, code: 'internal', message: `internal error (id ${id})`, details: [] };
  }
}

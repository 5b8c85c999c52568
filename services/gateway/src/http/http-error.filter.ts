import { Catch, HttpException, Inject, type ArgumentsHost } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PlatformErrorFilter } from '@convergio/runtime';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { jsonBodyError } from './json-body.js';
import { RetryLaterError } from './retry-later.js';
import { closeUnlessBodyEnds } from './unread-body.js';

/**
 * Every error leaves the gateway as {"error": {code, message, details}} (PlatformErrorFilter),
 * and besides: a JSON body over GATEWAY_MAX_INVOKE_BYTES is a 413 naming it, a RetryLaterError
 * carries Retry-After, a request whose body was not read to its end has its connection closed
 * unless the body ends soon after ({@link closeUnlessBodyEnds}), and a request whose client has
 * gone is no error of ours.
 */
@Catch()
export class HttpErrorFilter extends PlatformErrorFilter {
  constructor(
    adapter: HttpAdapterHost,
    @Inject(GATEWAY_LIMITS) private readonly limits: GatewayLimits,
  ) {
    super(adapter);
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    if (exception instanceof RetryLaterError)
      void reply.header('retry-after', String(exception.retryAfterSeconds));
    const request = http.getRequest<FastifyRequest | undefined>();
    if (request?.raw.complete === false) closeUnlessBodyEnds(request.raw, reply.raw);
    if (clientGone(exception, request)) this.send(host, this.clientClosed());
    else super.catch(exception, host);
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

  /** Fastify's refusal of a JSON body over its limit (wrapped by Nest) is a 413 naming it. */
  protected override domainErrorOf(e: unknown): unknown {
    const cause = e instanceof HttpException ? e.cause : undefined;
    return jsonBodyError(cause, this.limits) ?? super.domainErrorOf(e);
  }
}

/** An error of reading a request whose client has gone (Node's `aborted`, ECONNRESET). */
function clientGone(e: unknown, request: FastifyRequest | undefined): boolean {
  const { code } = (e ?? {}) as { code?: unknown };
  return code === 'ECONNRESET' && request?.raw.destroyed === true;
}

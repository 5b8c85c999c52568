import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@convergio/contracts';
import { PUBLIC_KEY } from '@convergio/runtime';
import { declaresBodyType, hasBody } from './body-type.js';

/** What a route reads besides its path, as its handler declares it. */
interface Reads {
  query: boolean;
  body: boolean;
}

/**
 * Refuses input a route does not read, before its pipes and handler run (so nothing changes):
 * - a query string on an API route that reads none (`GET /v1/plugins?owner=x` would otherwise
 *   answer every plugin, as if filtered): DomainError `validation_failed` naming each parameter.
 *   Routes that read one check it themselves (SchemaPipe, which refuses unknown names); public
 *   routes (health, metrics) are left alone;
 * - a body (a Content-Length other than 0, or a Transfer-Encoding, as Fastify decides it) sent to
 *   a route that takes none (`POST /v1/api-keys/{id}/rotate -d '{"roles":["auditor"]}'` would
 *   otherwise rotate, as if the roles were read): DomainError `bad_request`, detail
 *   `body_not_taken`. A route takes a body when its handler has a `@Body()` parameter or
 *   declares its body type with TakesBody (the submission, read by its interceptor).
 *
 * What a route reads is derived from its handler's Nest metadata, once per handler. A guard
 * after AuthGuard, not an interceptor: Nest runs every handler behind an interceptor through RxJS
 * (defer, mergeAll, an Observable from the handler's promise) and an AsyncResource per step, on
 * every request, for a check that needs none of it.
 */
@Injectable()
export class UndeclaredInputGuard implements CanActivate {
  private readonly reads = new WeakMap<(...args: never[]) => unknown, Reads>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const names = Object.keys((request.query as Record<string, unknown> | undefined) ?? {});
    const bodySent = hasBody(request);
    if (names.length === 0 && !bodySent) return true;
    const reads = this.readsOf(context, request);
    if (names.length > 0 && !reads.query)
      throw new DomainError(
        'validation_failed',
        'this route takes no query parameters',
        names.map((name) => ({
          code: 'schema.additionalProperties',
          message: 'is not allowed: this route takes no query parameters',
          path: `/${name}`,
        })),
      );
    if (bodySent && !reads.body)
      throw new DomainError(
        'bad_request',
        `${request.method} ${request.routeOptions.url} takes no body; this request has one: send it without a body`,
        [{ code: 'body_not_taken', message: 'send the request without a body' }],
      );
    return true;
  }

  private readsOf(context: ExecutionContext, request: FastifyRequest): Reads {
    const handler = context.getHandler() as (...args: never[]) => unknown;
    let reads = this.reads.get(handler);
    if (reads === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      const types = Object.keys(args).map((key) => Number(key.split(':')[0]));
      reads = {
        query:
          types.includes(RouteParamtypes.QUERY) ||
          this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [handler, context.getClass()]) ===
            true,
        body: types.includes(RouteParamtypes.BODY) || declaresBodyType(request),
      };
      this.reads.set(handler, reads);
    }
    return reads;
  }
}

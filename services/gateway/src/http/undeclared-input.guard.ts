import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '@convergio/contracts';
import { PUBLIC_KEY } from '@convergio/runtime';

/**
 * Refuses a query string on an API route that reads none, before its pipes and handler run (so
 * nothing changes): `GET /v1/plugins?owner=x` would otherwise answer every plugin, as if
 * filtered. DomainError `validation_failed` naming each parameter. Routes that read one check it
 * themselves (SchemaPipe, which refuses unknown names); public routes (health, metrics) are left
 * alone. A body a route does not take is refused earlier, before it is read (refuseOtherBodies).
 *
 * Whether a route reads a query is derived from its handler's Nest metadata, once per handler. A
 * guard after AuthGuard, not an interceptor: Nest runs every handler behind an interceptor
 * through RxJS (defer, mergeAll, an Observable from the handler's promise) and an AsyncResource
 * per step, on every request, for a check that needs none of it.
 */
@Injectable()
export class UndeclaredInputGuard implements CanActivate {
  private readonly readsQuery = new WeakMap<(...args: never[]) => unknown, boolean>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const names = Object.keys((request.query as Record<string, unknown> | undefined) ?? {});
    if (names.length === 0 || this.takesQuery(context)) return true;
    throw new DomainError(
      'validation_failed',
      'this route takes no query parameters',
      names.map((name) => ({
        code: 'schema.additionalProperties',
        message: 'is not allowed: this route takes no query parameters',
        path: `/${name}`,
      })),
    );
  }

  private takesQuery(context: ExecutionContext): boolean {
    const handler = context.getHandler() as (...args: never[]) => unknown;
    let reads = this.readsQuery.get(handler);
    if (reads === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      const types = Object.keys(args).map((key) => Number(key.split(':')[0]));
      reads =
        types.includes(RouteParamtypes.QUERY) ||
        this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [handler, context.getClass()]) ===
          true;
      this.readsQuery.set(handler, reads);
    }
    return reads;
  }
}

import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@convergio/contracts';
import { PUBLIC_KEY } from '@convergio/runtime';

/**
 * Refuses a query string on an API route that reads none (`GET /v1/plugins?owner=x` would
 * otherwise answer every plugin, as if filtered). Routes that read one check it themselves
 * (SchemaPipe, which refuses unknown names); public routes (health, metrics) are left alone.
 * Throws DomainError `validation_failed` naming each parameter. A guard after AuthGuard, not an
 * interceptor: Nest runs every handler behind an interceptor through RxJS (defer, mergeAll, an
 * Observable from the handler's promise) and an AsyncResource per step, on every request, for a
 * check that needs none of it.
 */
@Injectable()
export class UndeclaredQueryGuard implements CanActivate {
  private readonly readsQuery = new WeakMap<(...args: never[]) => unknown, boolean>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const { query } = context.switchToHttp().getRequest<{ query?: Record<string, unknown> }>();
    const names = Object.keys(query ?? {});
    if (names.length > 0 && !this.takesQuery(context))
      throw new DomainError(
        'validation_failed',
        'this route takes no query parameters',
        names.map((name) => ({
          code: 'schema.additionalProperties',
          message: 'is not allowed: this route takes no query parameters',
          path: `/${name}`,
        })),
      );
    return true;
  }

  private takesQuery(context: ExecutionContext): boolean {
    const handler = context.getHandler() as (...args: never[]) => unknown;
    let takes = this.readsQuery.get(handler);
    if (takes === undefined) {
      const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ??
        {}) as Record<string, unknown>;
      takes =
        Object.keys(args).some(
          (key) => Number(key.split(':')[0]) === (RouteParamtypes.QUERY as number),
        ) ||
        this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [handler, context.getClass()]) ===
          true;
      this.readsQuery.set(handler, takes);
    }
    return takes;
  }
}

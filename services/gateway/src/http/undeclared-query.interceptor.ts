import {
  Injectable,
  type CallHandler,
  type ExecutionContext,
  type NestInterceptor,
} from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { Reflector } from '@nestjs/core';
import type { Observable } from 'rxjs';
import { DomainError } from '@convergio/contracts';
import { PUBLIC_KEY } from '@convergio/runtime';

/**
 * Refuses a query string on an API route that reads none (`GET /v1/plugins?owner=x` would
 * otherwise answer every plugin, as if filtered). Routes that read one check it themselves
 * (SchemaPipe, which refuses unknown names); public routes (health, metrics) are left alone.
 */
@Injectable()
export class UndeclaredQueryInterceptor implements NestInterceptor {
  private readonly readsQuery = new WeakMap<(...args: never[]) => unknown, boolean>();

  constructor(private readonly reflector: Reflector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
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
    return next.handle();
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

import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import type { DomainError } from '@convergio/contracts';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { nestsDeeperThan } from './json-depth.js';
import { tooDeep, tooLarge } from './limit-errors.js';

/**
 * Parses JSON request bodies of at most GATEWAY_MAX_INVOKE_BYTES, in place of Nest's default
 * parser (100 KB). Call before the application listens.
 */
export function parseJsonWithinLimits(app: NestExpressApplication, limits: GatewayLimits): void {
  app.useBodyParser('json', { limit: limits.GATEWAY_MAX_INVOKE_BYTES });
}

/** The JSON parser's size refusal as a 413 naming the limit and its variable; undefined for anything else. */
export function jsonBodyError(raised: unknown): DomainError | undefined {
  const { type, limit } = (raised ?? {}) as { type?: unknown; limit?: unknown };
  if (type === 'entity.too.large' && typeof limit === 'number')
    return tooLarge('the JSON body', 'body_too_large', limit, 'GATEWAY_MAX_INVOKE_BYTES');
  return undefined;
}

/**
 * Refuses a request body nested deeper than GATEWAY_MAX_JSON_DEPTH (400 `json_too_deep`) right
 * after it is parsed, before any guard, pipe or handler walks it.
 */
@Injectable()
export class JsonDepthMiddleware implements NestMiddleware {
  constructor(@Inject(GATEWAY_LIMITS) private readonly limits: GatewayLimits) {}

  use(req: Request, _res: Response, next: NextFunction): void {
    const max = this.limits.GATEWAY_MAX_JSON_DEPTH;
    next(nestsDeeperThan(req.body, max) ? tooDeep('the request body', max) : undefined);
  }
}

import { randomBytes } from 'node:crypto';
import { Injectable, type NestMiddleware } from '@nestjs/common';
import { context, propagation, trace, TraceFlags, isSpanContextValid } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';

/**
 * Continues the caller's W3C trace (traceparent header) or starts one, for the rest of
 * the request: everything the request sends on the bus carries it.
 */
@Injectable()
export class TraceContextMiddleware implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    let ctx = propagation.extract(context.active(), req.headers);
    if (
      !isSpanContextValid(trace.getSpanContext(ctx) ?? { traceId: '', spanId: '', traceFlags: 0 })
    ) {
      ctx = trace.setSpanContext(ctx, {
        traceId: randomBytes(16).toString('hex'),
        spanId: randomBytes(8).toString('hex'),
        traceFlags: TraceFlags.SAMPLED,
      });
    }
    res.setHeader('traceparent', traceparentOf(ctx));
    context.with(ctx, next);
  }
}

function traceparentOf(ctx: ReturnType<typeof context.active>): string {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? '';
}

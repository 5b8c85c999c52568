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
        traceId: randomHex(16),
        spanId: randomHex(8),
        traceFlags: TraceFlags.SAMPLED,
      });
    }
    res.setHeader('traceparent', traceparentOf(ctx));
    context.with(ctx, next);
  }
}

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/**
 * `bytes` random bytes as hex, cut from a pool filled 4 KiB at a time: a `randomBytes` call per
 * id cost more than the rest of this middleware. Ids are not secrets, but stay unpredictable.
 */
function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  used += bytes;
  return pool.toString('hex', used - bytes, used);
}

function traceparentOf(ctx: ReturnType<typeof context.active>): string {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? '';
}

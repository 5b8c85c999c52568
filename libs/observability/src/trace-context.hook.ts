import { randomBytes } from 'node:crypto';
import { context, propagation, trace, TraceFlags, isSpanContextValid } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Fastify `preHandler` hook: continues the caller's W3C trace (traceparent header) or starts
 * one, for the rest of the request: everything the request sends on the bus carries it. A
 * pre-handler, not a request hook: the body is read by then, so the handler runs on from here
 * in this context (stream callbacks would otherwise run outside it).
 */
export function traceContextHook(
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  let ctx = propagation.extract(context.active(), request.headers);
  if (
    !isSpanContextValid(trace.getSpanContext(ctx) ?? { traceId: '', spanId: '', traceFlags: 0 })
  ) {
    ctx = trace.setSpanContext(ctx, {
      traceId: randomHex(16),
      spanId: randomHex(8),
      traceFlags: TraceFlags.SAMPLED,
    });
  }
  // On the raw response, so responses a handler writes itself (streams, /metrics) carry it too.
  reply.raw.setHeader('traceparent', traceparentOf(ctx));
  context.with(ctx, done);
}

const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/**
 * `bytes` random bytes as hex, cut from a pool filled 4 KiB at a time: a `randomBytes` call per
 * id cost more than the rest of this hook. Ids are not secrets, but stay unpredictable.
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

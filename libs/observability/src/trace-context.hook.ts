import { randomBytes } from 'node:crypto';
import {
  propagation,
  ROOT_CONTEXT,
  trace,
  TraceFlags,
  isSpanContextValid,
  type Context,
} from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';

const traces = new WeakMap<FastifyRequest['raw'], Context>();

/**
 * Fastify hook: continues the caller's W3C trace (traceparent header) or starts one, and keeps
 * it for `requestTrace`: everything the request sends on the bus carries it. Kept per request,
 * not made active: there is no context manager (ADR 0031).
 */
export function traceContextHook(
  request: FastifyRequest,
  reply: FastifyReply,
  done: () => void,
): void {
  let ctx = propagation.extract(ROOT_CONTEXT, request.headers);
  if (
    !isSpanContextValid(trace.getSpanContext(ctx) ?? { traceId: '', spanId: '', traceFlags: 0 })
  ) {
    ctx = trace.setSpanContext(ctx, {
      traceId: randomHex(16),
      spanId: randomHex(8),
      traceFlags: TraceFlags.SAMPLED,
    });
  }
  traces.set(request.raw, ctx);
  // On the raw response, so responses a handler writes itself (streams, /metrics) carry it too.
  reply.raw.setHeader('traceparent', traceparentOf(ctx));
  done();
}

/** The trace context `traceContextHook` gave the request `raw` (Node's); ROOT_CONTEXT before it ran. */
export function requestTrace(raw: FastifyRequest['raw']): Context {
  return traces.get(raw) ?? ROOT_CONTEXT;
}

/** The trace id `ctx` carries, if any. */
export function traceIdOf(ctx: Context): string | undefined {
  return trace.getSpanContext(ctx)?.traceId;
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

function traceparentOf(ctx: Context): string {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent ?? '';
}

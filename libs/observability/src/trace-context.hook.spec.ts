import { context } from '@opentelemetry/api';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { initTelemetry } from './telemetry.js';
import { requestTrace, traceContextHook, traceIdOf } from './trace-context.hook.js';

function run(headers: Record<string, string>) {
  const set: Record<string, string> = {};
  const reply = {
    raw: { setHeader: (k: string, v: string) => (set[k] = v) },
  } as unknown as FastifyReply;
  const raw = {} as FastifyRequest['raw'];
  let called = false;
  traceContextHook({ headers, raw } as unknown as FastifyRequest, reply, () => (called = true));
  return { called, seen: traceIdOf(requestTrace(raw)), responseHeader: set.traceparent };
}

describe('traceContextHook', () => {
  beforeAll(() => initTelemetry('spec'));

  it("continues the caller's trace", () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { called, seen, responseHeader } = run({
      traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
    });
    expect(called).toBe(true);
    expect(seen).toBe(traceId);
    expect(responseHeader).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });

  it('starts a trace when the caller sends none or a malformed one', () => {
    for (const headers of [{}, { traceparent: 'garbage' }] as Record<string, string>[]) {
      const { seen, responseHeader } = run(headers);
      expect(seen).toMatch(/^[0-9a-f]{32}$/);
      expect(responseHeader).toContain(seen);
    }
  });

  it('gives each request its own trace and makes none active', () => {
    expect(run({}).seen).not.toBe(run({}).seen);
    expect(traceIdOf(context.active())).toBeUndefined();
    expect(traceIdOf(requestTrace({} as FastifyRequest['raw']))).toBeUndefined();
  });
});

import type { FastifyReply, FastifyRequest } from 'fastify';
import { initTelemetry } from './telemetry.js';
import { currentTraceId } from './trace-id.js';
import { traceContextHook } from './trace-context.hook.js';

function run(headers: Record<string, string>) {
  const set: Record<string, string> = {};
  const reply = {
    raw: { setHeader: (k: string, v: string) => (set[k] = v) },
  } as unknown as FastifyReply;
  let seen: string | undefined;
  traceContextHook(
    { headers } as unknown as FastifyRequest,
    reply,
    () => (seen = currentTraceId()),
  );
  return { seen, responseHeader: set.traceparent };
}

describe('traceContextHook', () => {
  beforeAll(() => initTelemetry('spec'));

  it("continues the caller's trace", () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const { seen, responseHeader } = run({ traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
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

  it('runs nothing else in that trace', () => {
    run({});
    expect(currentTraceId()).toBeUndefined();
  });
});

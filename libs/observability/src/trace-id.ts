import { context, trace } from '@opentelemetry/api';

/** The trace id of the active context, if a trace is being carried. */
export function currentTraceId(): string | undefined {
  return trace.getSpanContext(context.active())?.traceId;
}

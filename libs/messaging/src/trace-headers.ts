import { propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';

const TRACE_HEADERS = ['traceparent', 'tracestate'];

/** NATS headers carrying the trace context `trace`, or undefined when there is none. */
export function traceHeaders(trace: Context | undefined): MsgHdrs | undefined {
  if (!trace) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(trace, carrier);
  const present = TRACE_HEADERS.filter((k) => carrier[k]);
  if (present.length === 0) return undefined;
  const h = natsHeaders();
  for (const k of present) h.set(k, carrier[k]);
  return h;
}

/** The trace context a received message carries (the root context when it carries none). */
export function traceContextOf(h: MsgHdrs | undefined): Context {
  if (!h) return ROOT_CONTEXT;
  const carrier: Record<string, string> = {};
  for (const k of TRACE_HEADERS) {
    const v = h.get(k);
    if (v) carrier[k] = v;
  }
  return propagation.extract(ROOT_CONTEXT, carrier);
}

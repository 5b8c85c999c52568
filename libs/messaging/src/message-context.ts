import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';

/**
 * How the envelopes built while handling a stored event get their ids: a keyed hash of the
 * delivery, so a redelivery rebuilds the same ids (and JetStream drops the repeats) while no
 * other bus client can predict them (createEnvelope).
 */
export interface IdDerivation {
  /** The stored message being handled, e.g. `<stream>:<sequence>`: never chosen by a publisher. */
  delivery: string;
  /** The handling service's secret key (eventIdKey). */
  key: Buffer;
}

/**
 * What the envelopes built while handling one message or HTTP request inherit from it: its
 * correlation id, its W3C trace context and, for a stored event, how their ids are derived.
 * Passed explicitly (a handler gets it from its BusContext, a gateway route from its request),
 * never through AsyncLocalStorage: on Node 20 an enabled async hook costs every promise of the
 * process, about a third of the invoke path's CPU (ADR 0031).
 */
export interface MessageContext {
  /** Absent for an HTTP request: each envelope then starts a correlation of its own. */
  readonly correlationId?: string;
  /** The trace the envelopes carry on the bus (`traceparent`); ROOT_CONTEXT for none. */
  readonly trace: Context;
  /** Absent while answering a request: a request is never redelivered, its envelopes get random ids. */
  readonly derivation?: IdDerivation;
  /** How many envelopes have been built in this context so far (the rank in derived ids). */
  published: number;
}

/** A context for one message or request: `correlationId`, `trace` (none: ROOT_CONTEXT), `derivation`. */
export function messageContext(
  correlationId: string | undefined,
  trace: Context = ROOT_CONTEXT,
  derivation?: IdDerivation,
): MessageContext {
  return { correlationId, trace, derivation, published: 0 };
}

/**
 * The context of work a handler starts and leaves running after it returns (a load after an
 * approval): the envelopes it builds keep the message's correlation id and trace, and get random
 * ids, since a redelivery may repeat that work or not, and in another order.
 */
export function detachedContext(context: MessageContext): MessageContext {
  return messageContext(context.correlationId, context.trace);
}

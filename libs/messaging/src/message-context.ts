import { AsyncLocalStorage } from 'node:async_hooks';

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

/** What is known about the message whose handler is running. */
export interface MessageContext {
  correlationId: string;
  /** How many envelopes this handler has built so far. */
  published: number;
  /** Absent while answering a request: a request is never redelivered, its envelopes get random ids. */
  derivation?: IdDerivation;
}

const storage = new AsyncLocalStorage<MessageContext>();

/** Runs `fn` as the handling of one message. */
export function runInMessageContext<T>(
  correlationId: string,
  fn: () => T,
  derivation?: IdDerivation,
): T {
  return storage.run({ correlationId, published: 0, derivation }, fn);
}

/** The message being handled, if any. */
export function currentMessageContext(): MessageContext | undefined {
  return storage.getStore();
}

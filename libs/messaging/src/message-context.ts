import { AsyncLocalStorage } from 'node:async_hooks';

/** What is known about the message whose handler is running. */
export interface MessageContext {
  messageId: string;
  correlationId: string;
  /** How many envelopes this handler has built so far. */
  published: number;
}

const storage = new AsyncLocalStorage<MessageContext>();

/** Runs `fn` as the handling of one message. */
export function runInMessageContext<T>(messageId: string, correlationId: string, fn: () => T): T {
  return storage.run({ messageId, correlationId, published: 0 }, fn);
}

/** The message being handled, if any. */
export function currentMessageContext(): MessageContext | undefined {
  return storage.getStore();
}

import type { EmittedEvent } from './worker-protocol.js';

/** Most events one batch holds: a plugin logging in a long loop still sends them as it goes. */
export const MAX_BATCHED_EVENTS = 256;

/**
 * Log lines and telemetry events, sent in batches instead of one message each: a message
 * between threads or processes costs microseconds, and a plugin may log on every host call.
 * A batch travels as the JSON text of its events: copying one string across a thread or a
 * socket costs far less than cloning as many objects. `send` gets the batches in order; `flush`
 * sends what is held (at a call's end, before a refusal is reported, and whenever the batch is
 * full).
 */
export class EventBatch {
  private events: string[] = [];

  constructor(private readonly send: (json: string) => void) {}

  /** Throws (a TypeError) if `event` has no JSON form: a BigInt or a cycle in its payload. */
  add(event: EmittedEvent): void {
    this.events.push(JSON.stringify(event));
    if (this.events.length >= MAX_BATCHED_EVENTS) this.flush();
  }

  flush(): void {
    if (this.events.length === 0) return;
    const json = `[${this.events.join(',')}]`;
    this.events = [];
    this.send(json);
  }
}

/** The events of a batch, in the order they were emitted. */
export const parseEvents = (json: string): EmittedEvent[] => JSON.parse(json) as EmittedEvent[];

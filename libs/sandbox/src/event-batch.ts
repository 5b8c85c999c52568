import type { EmittedEvent } from './worker-protocol.js';

/** Most events one batch holds: a plugin logging in a long loop still sends them as it goes. */
export const MAX_BATCHED_EVENTS = 256;

/**
 * Log lines and telemetry events, sent in batches instead of one message each: a message
 * between threads or processes costs microseconds, and a plugin may log on every host call.
 * `send` gets the events in order; `flush` sends what is held (at a call's end, before a
 * refusal is reported, and whenever the batch is full).
 */
export class EventBatch {
  private events: EmittedEvent[] = [];

  constructor(private readonly send: (events: EmittedEvent[]) => void) {}

  add(event: EmittedEvent): void {
    this.events.push(event);
    if (this.events.length >= MAX_BATCHED_EVENTS) this.flush();
  }

  flush(): void {
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    this.send(events);
  }
}

import type { EmittedEvent } from './worker-protocol.js';

/** Most events one batch holds: a plugin logging in a long loop still sends them as it goes. */
export const MAX_BATCHED_EVENTS = 256;

/**
 * Log lines and telemetry events, sent in batches instead of one message each: a message
 * between threads or processes costs microseconds, and a plugin may log on every host call.
 * A batch travels as the JSON text of its events, written in one pass: copying one string
 * across a thread or a socket costs far less than cloning as many objects. `send` gets the
 * batches in order; `flush` sends what is held (at a call's end, before a refusal is reported,
 * and whenever the batch is full).
 */
export class EventBatch {
  private events: EmittedEvent[] = [];

  constructor(private readonly send: (json: string) => void) {}

  add(event: EmittedEvent): void {
    this.events.push(event);
    if (this.events.length >= MAX_BATCHED_EVENTS) this.flush();
  }

  flush(): void {
    if (this.events.length === 0) return;
    const events = this.events;
    this.events = [];
    this.send(toJson(events));
  }
}

/** The events of a batch, in the order they were emitted. */
export const parseEvents = (json: string): EmittedEvent[] => JSON.parse(json) as EmittedEvent[];

type EventHandler<P> = ((plugin: P, payload: unknown) => void) | undefined;

/**
 * What hands each event of a batch to `onLog` or `onTelemetry` for `plugin`; undefined when
 * neither is given, so that batches nobody listens to are not even parsed.
 */
export function eventsListener<P>(
  plugin: P,
  onLog: EventHandler<P>,
  onTelemetry: EventHandler<P>,
): ((events: EmittedEvent[]) => void) | undefined {
  if (!onLog && !onTelemetry) return undefined;
  return (events) => {
    for (const { kind, payload } of events)
      (kind === 'log' ? onLog : onTelemetry)?.(plugin, payload);
  };
}

// An event whose payload has no JSON form (a BigInt, a cycle: a host function's bug) travels
// as a note saying so, in its place.
function toJson(events: EmittedEvent[]): string {
  try {
    return JSON.stringify(events);
  } catch {
    return `[${events.map(eventJson).join(',')}]`;
  }
}

function eventJson(event: EmittedEvent): string {
  try {
    return JSON.stringify(event);
  } catch (error) {
    const unusable = `the payload has no JSON form: ${String(error)}`;
    return JSON.stringify({ kind: event.kind, payload: { unusable } });
  }
}

import { Logger } from '@nestjs/common';
import type { Reply } from '@convergio/contracts';
import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import type { EventOutcome } from './bus-server.js';

/** Handles one event: `raw` as published, `trace` the trace context it was published in. */
type EventHandler = (raw: unknown, trace: Context) => Promise<EventOutcome>;
/** Answers one request: `raw` as sent, `trace` the trace context it was sent in. */
type RequestHandler = (raw: unknown, trace: Context) => Promise<Reply<unknown>>;

const MAX_ATTEMPTS = 8;
const REMEMBERED_IDS = 10_000;

/**
 * The bus of standalone mode: one process, no broker. Keeps JetStream's
 * promises that handlers rely on: delivery after publish returns, retries with
 * backoff on failure, and de-duplication of repeated event ids.
 */
export class InProcessHub {
  private readonly log = new Logger(InProcessHub.name);
  private readonly eventHandlers = new Map<string, { handler: EventHandler; line: object }[]>();
  private readonly requestHandlers = new Map<string, RequestHandler>();
  private readonly seen = new Set<string>();
  private readonly lines = new Map<object, Promise<void>>();
  private inFlight = 0;
  private closed = false;

  /**
   * Subscribes `handler` to `subject`. Handlers given the same `line` (a consumer) see their
   * messages one at a time in publish order, across subjects, like one JetStream consumer.
   */
  onEvent(subject: string, handler: EventHandler, line: object = handler): () => void {
    const entry = { handler, line };
    this.eventHandlers.set(subject, [...(this.eventHandlers.get(subject) ?? []), entry]);
    return () =>
      this.eventHandlers.set(
        subject,
        (this.eventHandlers.get(subject) ?? []).filter((e) => e !== entry),
      );
  }

  onRequest(subject: string, handler: RequestHandler): void {
    if (this.requestHandlers.has(subject)) throw new Error(`two request handlers for ${subject}`);
    this.requestHandlers.set(subject, handler);
  }

  /**
   * Stores nothing: delivers to every handler of the subject, each on its own schedule, with the
   * trace context it was published in.
   */
  publish(subject: string, id: string, raw: unknown, trace: Context = ROOT_CONTEXT): void {
    if (this.seen.has(id)) return;
    this.remember(id);
    for (const { handler, line } of this.eventHandlers.get(subject) ?? [])
      this.deliver(subject, handler, line, { raw, trace }, 1);
  }

  async request(
    subject: string,
    raw: unknown,
    trace: Context = ROOT_CONTEXT,
  ): Promise<Reply<unknown> | undefined> {
    const handler = this.requestHandlers.get(subject);
    return handler ? handler(raw, trace) : undefined;
  }

  /** Number of deliveries not yet finished (tests and shutdown wait for zero). */
  pending(): number {
    return this.inFlight;
  }

  /**
   * Stops delivering: waits up to `timeoutMs` for deliveries under way (events published during
   * shutdown still reach their handlers while the database is open), then drops the rest.
   */
  async close(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (this.inFlight > 0) this.log.warn(`closing with ${this.inFlight} deliveries unfinished`);
    this.closed = true;
  }

  // Like a JetStream consumer, each line sees one message at a time, in publish order;
  // a retried message goes back in line after its delay instead of blocking the others.
  private deliver(
    subject: string,
    handler: EventHandler,
    line: object,
    message: { raw: unknown; trace: Context },
    attempt: number,
  ): void {
    const { raw, trace } = message;
    if (this.closed) return;
    this.inFlight++;
    const previous = this.lines.get(line) ?? Promise.resolve();
    const next = previous.then(async () => {
      const outcome = this.closed ? ({ kind: 'done' } as const) : await handler(raw, trace);
      this.inFlight--;
      if (outcome.kind === 'done') return;
      if (outcome.kind === 'poison')
        return this.dropped(subject, raw, `refused by its handler: ${String(outcome.error)}`);
      if (attempt >= MAX_ATTEMPTS)
        return this.dropped(
          subject,
          raw,
          `gave up after ${attempt} attempts: ${String(outcome.error)}`,
        );
      this.inFlight++;
      setTimeout(
        () => {
          this.inFlight--;
          this.deliver(subject, handler, line, message, attempt + 1);
        },
        100 * 2 ** attempt,
      ).unref();
    });
    this.lines.set(line, next);
  }

  // Nothing is stored in standalone mode: the log is the one record left of a dropped event.
  private dropped(subject: string, raw: unknown, why: string): void {
    this.log.error(`${subject} ${eventId(raw)} dropped, ${why}; the event: ${JSON.stringify(raw)}`);
  }

  private remember(id: string): void {
    this.seen.add(id);
    if (this.seen.size > REMEMBERED_IDS)
      this.seen.delete(this.seen.values().next().value as string);
  }
}

function eventId(raw: unknown): string {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id.slice(0, 100) : '(no id)';
}

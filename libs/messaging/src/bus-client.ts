import {
  DomainError,
  validateEventEnvelope,
  validateReplyData,
  validateRequestEnvelope,
  type EventEnvelope,
  type EventPayloadMap,
  type EventSubject,
  type Reply,
  type ReplyMap,
  type RequestEnvelope,
  type RequestMap,
  type RequestSubject,
} from '@convergio/contracts';
import type { Context } from '@opentelemetry/api';
import { createEnvelope } from './envelope-factory.js';
import type { MessageContext } from './message-context.js';

/** Receives one validated event of a {@link BusClient.watch}; must not throw. */
export type WatchHandler = (event: EventEnvelope) => void;

export interface RequestOptions {
  /** The message or HTTP request this request is made for: its correlation and trace go on. */
  context?: MessageContext;
  timeoutMs?: number;
  /**
   * True when the caller has already checked `data` against this subject's request schema (the
   * gateway's body pipe does, for invoke): the envelope, built here around it, is not checked a
   * second time. The answering service checks it on receipt either way.
   */
  checked?: boolean;
}

/**
 * How a service talks to the others: durable events and request/reply. Envelopes are
 * built and validated here, replies checked here; transports only move them.
 */
export abstract class BusClient {
  protected constructor(protected readonly service: string) {}

  /**
   * Publishes a durable event built in `context` (the message or request being handled, if any);
   * resolves when the bus has stored it. Returns the event id.
   */
  async publish<S extends EventSubject>(
    subject: S,
    data: EventPayloadMap[S],
    context?: MessageContext,
  ): Promise<string> {
    const envelope = this.createEvent(subject, data, context);
    await this.send(envelope, context?.trace);
    return envelope.id;
  }

  /**
   * Builds and validates the envelope of an event from this service without publishing it (the
   * transactional outbox stores it first). Throws a DomainError `validation_failed` for bad data.
   */
  createEvent<S extends EventSubject>(
    subject: S,
    data: EventPayloadMap[S],
    context?: MessageContext,
  ): EventEnvelope {
    return validateEventEnvelope(subject, createEnvelope(subject, data, this.service, context));
  }

  /**
   * Publishes an envelope built earlier (by `createEvent`), validated again, with the trace it
   * carries (if any); its id stays the message id, so publishing it twice stores it once
   * (JetStream's duplicate window).
   */
  async publishEnvelope(envelope: EventEnvelope, trace?: Context): Promise<void> {
    await this.send(validateEventEnvelope(envelope.type, envelope), trace);
  }

  /** Sends a request to the service that answers `subject`; throws a DomainError for an error reply. */
  async request<S extends RequestSubject>(
    subject: S,
    data: RequestMap[S],
    options: RequestOptions = {},
  ): Promise<ReplyMap[S]> {
    const { context } = options;
    const built = createEnvelope(subject, data, this.service, context);
    const envelope = options.checked ? built : validateRequestEnvelope(subject, built);
    const reply = await this.exchange(envelope, options.timeoutMs, context?.trace);
    if (!reply.ok)
      throw new DomainError(reply.error.code, reply.error.message, reply.error.details);
    return validateReplyData(subject, reply.data) as ReplyMap[S];
  }

  /**
   * Delivers every event of `subjects` published after the returned promise resolves to
   * `handler`, in publish order, on every replica of this service: not shared with the other
   * replicas, not durable, not acknowledged (unlike the service's own event consumer). For
   * in-memory views each replica keeps; an event that fails validation is logged and skipped.
   * Resolves to a function that stops the watch.
   */
  abstract watch(
    subjects: readonly EventSubject[],
    handler: WatchHandler,
  ): Promise<() => Promise<void>>;

  /** True while the bus connection is usable (readiness). */
  abstract isReady(): boolean;

  /** Hands a validated event to the transport, with the trace it carries (if any). */
  protected abstract send(envelope: EventEnvelope, trace?: Context): Promise<void>;

  /**
   * Delivers a validated request with the trace it carries (if any) and returns the raw reply;
   * throws `unavailable` when nobody answers.
   */
  protected abstract exchange(
    envelope: RequestEnvelope,
    timeoutMs: number | undefined,
    trace: Context | undefined,
  ): Promise<Reply<unknown>>;
}

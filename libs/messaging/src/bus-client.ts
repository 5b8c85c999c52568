import type {
  EventPayloadMap,
  EventSubject,
  ReplyMap,
  RequestMap,
  RequestSubject,
} from '@convergio/contracts';

export interface RequestOptions {
  timeoutMs?: number;
  correlationId?: string;
}

/**
 * How a service talks to the others: durable events and request/reply.
 * Payloads are validated against their schemas before they leave.
 */
export abstract class BusClient {
  /** Publishes a durable event; resolves when the bus has stored it. Returns the event id. */
  abstract publish<S extends EventSubject>(
    subject: S,
    data: EventPayloadMap[S],
    correlationId?: string,
  ): Promise<string>;

  /** Sends a request to the service that answers `subject`; throws a DomainError for an error reply. */
  abstract request<S extends RequestSubject>(
    subject: S,
    data: RequestMap[S],
    options?: RequestOptions,
  ): Promise<ReplyMap[S]>;

  /** True while the bus connection is usable (readiness). */
  abstract isReady(): boolean;
}

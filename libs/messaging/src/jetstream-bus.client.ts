import { randomUUID } from 'node:crypto';
import {
  DeliverPolicy,
  jetstream,
  JetStreamApiError,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { Logger } from '@nestjs/common';
import type { Context } from '@opentelemetry/api';
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  InvalidArgumentError,
  NoRespondersError,
  TimeoutError,
  type NatsConnection,
  PermissionViolationError,
  RequestError,
} from '@nats-io/transport-node';
import {
  DomainError,
  sourceRefusal,
  validateEventEnvelope,
  type EventEnvelope,
  type EventSubject,
  type Reply,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusClient, type WatchHandler } from './bus-client.js';
import { BusUnavailableError } from './bus-unavailable.error.js';
import { answererOf, DEFAULT_MAX_PAYLOAD, requestTooLarge } from './bus-limits.js';
import { traceHeaders } from './trace-headers.js';
import {
  inboxPrefix,
  natsEventSubject,
  natsSubject,
  parseEventSubject,
  streamName,
} from './bus-names.js';
import { ReplyMux } from './reply-mux.js';
import type { NatsBusOptions } from './nats-connection.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** BusClient over NATS: JetStream publish with the envelope id as message id, core NATS requests. */
export class JetStreamBusClient extends BusClient {
  private readonly js: JetStreamClient;
  private readonly replies: ReplyMux;
  private connected = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsBusOptions,
  ) {
    super(options.service);
    this.js = jetstream(nc);
    this.replies = new ReplyMux(nc, inboxPrefix(options.service));
    void this.watchConnection();
  }

  /** Readiness follows the connection: false while the client is reconnecting. */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') this.connected = true;
      if (status.type === 'error' && status.error instanceof PermissionViolationError)
        this.replies.publishRefused(status.error);
    }
  }

  /**
   * An ordered consumer of its own (named `<service>_watch_<random>_<n>`): it starts at the next event,
   * and nats.js recreates it from the last sequence seen after a gap or a reconnect. One filter
   * covers every subject (NATS before 2.10, Debian's, has no filter lists; one consumer keeps
   * the order across subjects); events of other subjects under it are skipped here.
   */
  async watch(
    subjects: readonly EventSubject[],
    handler: WatchHandler,
  ): Promise<() => Promise<void>> {
    const wanted = new Set<string>(subjects);
    const consumer = await this.js.consumers.get(streamName(this.options.prefix), {
      // Unique per watch: replicas of a service must not share a consumer (each would see a part).
      name_prefix: `${this.options.service}_watch_${randomUUID().slice(0, 8)}`,
      filter_subjects: natsSubject(this.options.prefix, coveringFilter(subjects)),
      deliver_policy: DeliverPolicy.New,
    });
    const messages = await consumer.consume();
    const log = new Logger(`${this.options.service} watch`);
    void (async () => {
      for await (const m of messages) {
        const event = parseEventSubject(this.options.prefix, m.subject);
        if (!event || !wanted.has(event.subject)) continue;
        const { subject, publisher } = event;
        try {
          const envelope = validateEventEnvelope(subject, m.json());
          const refusal = sourceRefusal(subject, envelope.source, publisher);
          if (refusal) throw new Error(refusal);
          handler(envelope);
        } catch (error) {
          log.error(`${subject} skipped: ${String(error)}`);
        }
      }
    })();
    return async () => {
      await messages.close();
    };
  }

  /**
   * Throws a BusUnavailableError when NATS or JetStream cannot take any event now; any other
   * error is about this event: a subject the stream lacks or this user may not publish, a body
   * over the server's or the stream's size limit.
   */
  protected async send(envelope: EventEnvelope, trace?: Context): Promise<void> {
    // This client's own service: an envelope claiming another source goes out under this one's
    // name, and every consumer refuses it.
    const subject = natsEventSubject(this.options.prefix, envelope.type, this.options.service);
    try {
      await this.js.publish(subject, JSON.stringify(envelope), {
        msgID: envelope.id,
        headers: traceHeaders(trace),
      });
    } catch (error) {
      throw await this.publishFailure(subject, error);
    }
  }

  private async publishFailure(subject: string, error: unknown): Promise<Error> {
    const stream = streamName(this.options.prefix);
    if (isOutage(error))
      return new BusUnavailableError(`NATS did not take ${subject}: ${messageOf(error)}`, {
        cause: error,
      });
    if (isNoResponders(error)) {
      // Nobody stores the subject: the stream lacks it, unless the stream does not answer at all.
      const streamUp = await this.js.streams.get(stream).then(
        () => true,
        () => false,
      );
      if (streamUp)
        return new Error(`the stream ${stream} does not take ${subject}`, { cause: error });
      const why = `${stream} missing or JetStream down`;
      return new BusUnavailableError(`no stream took ${subject}: ${why}`, { cause: error });
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  protected async exchange(
    envelope: RequestEnvelope,
    timeoutMs: number | undefined,
    trace: Context | undefined,
  ): Promise<Reply<unknown>> {
    const body = JSON.stringify(envelope);
    try {
      const msg = await this.replies.request(
        natsSubject(this.options.prefix, envelope.type),
        body,
        timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        traceHeaders(trace),
      );
      return msg.json<Reply<unknown>>();
    } catch (error) {
      // nats.js refuses to publish more than the server's max_payload: the request, not the bus.
      if (error instanceof InvalidArgumentError && error.message.includes('max_payload'))
        throw requestTooLarge(
          envelope.type,
          Buffer.byteLength(body),
          this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD,
        );
      throw toUnavailable(envelope.type, error);
    }
  }

  isReady(): boolean {
    return this.connected && !this.nc.isClosed();
  }
}

/**
 * One event subject's every publisher (`<subject>.*`); `<first token>.>` when the subjects share
 * it; `>` otherwise.
 */
function coveringFilter(subjects: readonly string[]): string {
  if (subjects.length === 1) return `${subjects[0]}.*`;
  const first = new Set(subjects.map((s) => s.split('.')[0]));
  return first.size === 1 ? `${[...first][0]}.>` : '>';
}

/**
 * A failure of the connection or of the server, not of what was sent: no connection, no answer
 * in time, or a JetStream error of the 5xx kind (storage full or failing, no cluster leader).
 */
function isOutage(error: unknown): boolean {
  return (
    error instanceof TimeoutError ||
    error instanceof ClosedConnectionError ||
    error instanceof DrainingConnectionError ||
    error instanceof ConnectionError ||
    (error instanceof JetStreamApiError && error.status >= 500)
  );
}

/** nats.js reports a publish nothing subscribes to as "jetstream is not enabled", caused by this. */
function isNoResponders(error: unknown): boolean {
  return (
    error instanceof Error && error.cause instanceof RequestError && error.cause.isNoResponders()
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The refusal of a request nobody answered, in public terms: who did not answer (never the bus
 * subject) and what to do.
 */
function toUnavailable(subject: string, error: unknown): DomainError {
  const cause = error instanceof RequestError ? (error.cause ?? error) : error;
  const who = answererOf(subject);
  if (cause instanceof NoRespondersError)
    return new DomainError('unavailable', `${who} is not running; retry later`);
  if (cause instanceof TimeoutError)
    return new DomainError('unavailable', `${who} did not answer in time; retry later`);
  new Logger('bus').warn(`${subject} failed on the bus: ${messageOf(error)}`);
  return new DomainError('unavailable', `${who} could not be reached on the bus; retry later`);
}

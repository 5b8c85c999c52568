import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import {
  NoRespondersError,
  TimeoutError,
  type NatsConnection,
  RequestError,
} from '@nats-io/transport-node';
import {
  DomainError,
  validateEventEnvelope,
  validateReplyData,
  validateRequestEnvelope,
  type EventPayloadMap,
  type EventSubject,
  type Reply,
  type ReplyMap,
  type RequestMap,
  type RequestSubject,
} from '@convergio/contracts';
import { BusClient, type RequestOptions } from './bus-client.js';
import { createEnvelope } from './envelope-factory.js';
import { traceHeaders } from './trace-headers.js';
import { natsSubject, type NatsBusOptions } from './nats-connection.js';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** BusClient over NATS: JetStream publish with the envelope id as message id, core NATS requests. */
export class JetStreamBusClient extends BusClient {
  private readonly js: JetStreamClient;
  private connected = true;

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsBusOptions,
  ) {
    super();
    this.js = jetstream(nc);
    void this.watchConnection();
  }

  /** Readiness follows the connection: false while the client is reconnecting. */
  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      if (status.type === 'reconnect') this.connected = true;
    }
  }

  async publish<S extends EventSubject>(
    subject: S,
    data: EventPayloadMap[S],
    correlationId?: string,
  ): Promise<string> {
    const envelope = validateEventEnvelope(
      subject,
      createEnvelope(subject, data, this.options.service, correlationId),
    );
    await this.js.publish(natsSubject(this.options.prefix, subject), JSON.stringify(envelope), {
      msgID: envelope.id,
      headers: traceHeaders(),
    });
    return envelope.id;
  }

  async request<S extends RequestSubject>(
    subject: S,
    data: RequestMap[S],
    options: RequestOptions = {},
  ): Promise<ReplyMap[S]> {
    const envelope = validateRequestEnvelope(
      subject,
      createEnvelope(subject, data, this.options.service, options.correlationId),
    );
    let reply: Reply<unknown>;
    try {
      const msg = await this.nc.request(
        natsSubject(this.options.prefix, subject),
        JSON.stringify(envelope),
        {
          timeout: options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
          headers: traceHeaders(),
        },
      );
      reply = msg.json<Reply<unknown>>();
    } catch (error) {
      throw toUnavailable(subject, error);
    }
    if (!reply.ok)
      throw new DomainError(reply.error.code, reply.error.message, reply.error.details);
    return validateReplyData(subject, reply.data) as ReplyMap[S];
  }

  isReady(): boolean {
    return this.connected && !this.nc.isClosed();
  }
}

function toUnavailable(subject: string, error: unknown): DomainError {
  const cause = error instanceof RequestError ? (error.cause ?? error) : error;
  if (cause instanceof NoRespondersError)
    return new DomainError('unavailable', `no ${subject} service is running`);
  if (cause instanceof TimeoutError)
    return new DomainError('unavailable', `${subject} did not answer in time`);
  return new DomainError(
    'unavailable',
    `${subject} failed on the bus: ${error instanceof Error ? error.message : String(error)}`,
  );
}

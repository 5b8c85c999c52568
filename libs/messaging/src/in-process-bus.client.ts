import {
  DomainError,
  validateEventEnvelope,
  validateReplyData,
  validateRequestEnvelope,
  type EventPayloadMap,
  type EventSubject,
  type ReplyMap,
  type RequestMap,
  type RequestSubject,
} from '@convergio/contracts';
import { BusClient, type RequestOptions } from './bus-client.js';
import { createEnvelope } from './envelope-factory.js';
import type { InProcessHub } from './in-process-hub.js';

/** BusClient of standalone mode. Messages go through JSON like on the wire, so nothing is shared by reference. */
export class InProcessBusClient extends BusClient {
  constructor(
    private readonly hub: InProcessHub,
    private readonly service: string,
  ) {
    super();
  }

  async publish<S extends EventSubject>(
    subject: S,
    data: EventPayloadMap[S],
    correlationId?: string,
  ): Promise<string> {
    const envelope = validateEventEnvelope(
      subject,
      createEnvelope(subject, data, this.service, correlationId),
    );
    this.hub.publish(subject, envelope.id, JSON.parse(JSON.stringify(envelope)));
    return Promise.resolve(envelope.id);
  }

  async request<S extends RequestSubject>(
    subject: S,
    data: RequestMap[S],
    options: RequestOptions = {},
  ): Promise<ReplyMap[S]> {
    const envelope = validateRequestEnvelope(
      subject,
      createEnvelope(subject, data, this.service, options.correlationId),
    );
    const reply = await this.hub.request(subject, JSON.parse(JSON.stringify(envelope)));
    if (!reply) throw new DomainError('unavailable', `no ${subject} service is running`);
    if (!reply.ok)
      throw new DomainError(reply.error.code, reply.error.message, reply.error.details);
    return validateReplyData(subject, JSON.parse(JSON.stringify(reply.data))) as ReplyMap[S];
  }

  isReady(): boolean {
    return true;
  }
}

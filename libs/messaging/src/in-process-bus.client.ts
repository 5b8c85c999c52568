import {
  DomainError,
  type EventEnvelope,
  type Reply,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusClient } from './bus-client.js';
import type { InProcessHub } from './in-process-hub.js';

/** A copy as on the wire, so nothing is shared by reference between services. */
const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** BusClient of standalone mode. */
export class InProcessBusClient extends BusClient {
  constructor(
    private readonly hub: InProcessHub,
    service: string,
  ) {
    super(service);
  }

  isReady(): boolean {
    return true;
  }

  protected send(envelope: EventEnvelope): Promise<void> {
    this.hub.publish(envelope.type, envelope.id, copy(envelope));
    return Promise.resolve();
  }

  protected async exchange(envelope: RequestEnvelope): Promise<Reply<unknown>> {
    const reply = await this.hub.request(envelope.type, copy(envelope));
    if (!reply) throw new DomainError('unavailable', `no ${envelope.type} service is running`);
    return copy(reply);
  }
}

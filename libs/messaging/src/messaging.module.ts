import {
  Global,
  Module,
  type DynamicModule,
  type INestApplication,
  type OnApplicationShutdown,
  Inject,
  Injectable,
} from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { BusClient } from './bus-client.js';
import { BusServer } from './bus-server.js';
import { BusLimits, DEFAULT_MAX_PAYLOAD } from './bus-limits.js';
import { InProcessHub } from './in-process-hub.js';
import { InProcessServer } from './in-process-server.js';
import { InProcessBusClient } from './in-process-bus.client.js';
import { JetStreamServer } from './jetstream-server.js';
import { JetStreamBusClient } from './jetstream-bus.client.js';
import { connectNatsBus, type NatsBusOptions } from './nats-connection.js';
import {
  DEFAULT_OUTBOX_SETTINGS,
  OUTBOX_SETTINGS,
  type OutboxSettings,
} from './outbox-settings.js';

/**
 * Which bus a process uses (docs/architecture.md), and how the outboxes of its services treat an event
 * the bus keeps refusing (default {@link DEFAULT_OUTBOX_SETTINGS}).
 */
export type MessagingOptions = (
  ({ kind: 'nats' } & NatsBusOptions) | { kind: 'in-process'; hub?: InProcessHub }
) & { outbox?: OutboxSettings };

type Transport =
  | { kind: 'nats'; nc: NatsConnection; options: NatsBusOptions }
  | { kind: 'in-process'; hub: InProcessHub };

const TRANSPORT = Symbol('BUS_TRANSPORT');

@Injectable()
class TransportLifecycle implements OnApplicationShutdown {
  constructor(@Inject(TRANSPORT) private readonly transport: Transport) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.transport.kind === 'nats' && !this.transport.nc.isClosed())
      await this.transport.nc.drain();
  }
}

/**
 * `forRoot` once per process chooses the bus; `forService` in each service's
 * module gives it a BusClient that signs envelopes with the service's name.
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(options: MessagingOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        {
          provide: TRANSPORT,
          useFactory: async (): Promise<Transport> =>
            options.kind === 'nats'
              ? { kind: 'nats', nc: await connectNatsBus(options), options }
              : { kind: 'in-process', hub: options.hub ?? new InProcessHub() },
        },
        {
          provide: BusServer,
          inject: [TRANSPORT],
          useFactory: (t: Transport): BusServer =>
            t.kind === 'nats' ? new JetStreamServer(t.nc, t.options) : new InProcessServer(t.hub),
        },
        {
          provide: BusLimits,
          inject: [TRANSPORT],
          useFactory: (t: Transport): BusLimits =>
            t.kind === 'nats'
              ? new BusLimits(t.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD, true)
              : new BusLimits(),
        },
        TransportLifecycle,
        { provide: OUTBOX_SETTINGS, useValue: options.outbox ?? DEFAULT_OUTBOX_SETTINGS },
      ],
      exports: [TRANSPORT, BusServer, BusLimits, OUTBOX_SETTINGS],
    };
  }

  static forService(service: string): DynamicModule {
    return {
      module: class ServiceBusModule {},
      providers: [
        {
          provide: BusClient,
          inject: [TRANSPORT],
          useFactory: (t: Transport): BusClient =>
            t.kind === 'nats'
              ? new JetStreamBusClient(t.nc, { ...t.options, service })
              : new InProcessBusClient(t.hub, service),
        },
      ],
      exports: [BusClient],
    };
  }
}

/** Starts the bus handlers (@EventPattern / @MessagePattern) of an application. */
export async function connectBus(app: INestApplication): Promise<void> {
  app.connectMicroservice({ strategy: app.get(BusServer) });
  await app.startAllMicroservices();
}

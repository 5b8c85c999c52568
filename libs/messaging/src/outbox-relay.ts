import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { BusClient } from './bus-client.js';
import { OutboxMetrics } from './outbox-metrics.js';
import { OUTBOX_SETTINGS, type OutboxSettings } from './outbox-settings.js';
import { TransactionalOutbox } from './transactional-outbox.js';

/** How often the relay looks for events their commit did not publish (a crash, the bus down). */
const POLL_MS = 1000;
/** Age after which an unsent row is the relay's: younger ones are being published by their commit. */
const TAKEOVER_MS = 5000;
/** Sent rows are kept this long (for an operator to look at), then deleted. */
const KEEP_SENT_MS = 24 * 60 * 60_000;
const PRUNE_EVERY_POLLS = 60;

/** The poll loop of a service's outbox: publishes leftovers, prunes old sent rows. */
@Injectable()
class OutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger(OutboxRelay.name);
  private timer?: NodeJS.Timeout;
  private pass: Promise<void> = Promise.resolve();
  private polls = 0;

  constructor(@Inject(TransactionalOutbox) private readonly outbox: TransactionalOutbox) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.pass = this.pass.then(() => this.poll());
    }, POLL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.pass;
  }

  private async poll(): Promise<void> {
    try {
      let published: number;
      do published = await this.outbox.relayPending(TAKEOVER_MS);
      while (published > 0);
      if (++this.polls % PRUNE_EVERY_POLLS === 0) await this.outbox.prune(KEEP_SENT_MS);
    } catch (error) {
      this.log.warn(`outbox relay: ${String(error)}; trying again in ${POLL_MS} ms`);
    }
  }
}

/**
 * Providers of a service's transactional outbox on `<schema>.outbox` (created by migrations of
 * the service with `createOutboxTableSql` and `addOutboxDeliveryColumnsSql`): `TransactionalOutbox`
 * to inject, its relay and its dead-letter gauge. Needs the service's BusClient and the
 * DataSource in scope; takes the OutboxSettings of `MessagingModule.forRoot`.
 */
export function outboxProviders(schema: string): Provider[] {
  return [
    {
      provide: TransactionalOutbox,
      inject: [DataSource, BusClient, OUTBOX_SETTINGS],
      useFactory: (dataSource: DataSource, bus: BusClient, settings: OutboxSettings) =>
        new TransactionalOutbox(dataSource, bus, schema, settings),
    },
    OutboxRelay,
    OutboxMetrics,
  ];
}

import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { EventSubject, RequestSubject } from '@convergio/contracts';
import { context } from '@opentelemetry/api';
import { BusServer } from './bus-server.js';
import { traceContextOf } from './trace-headers.js';
import { natsSubject, streamName, type NatsBusOptions } from './nats-connection.js';

/** Retry delays for a failed event: 1 s, 2 s, 4 s ... capped at 30 s. */
const retryDelayMs = (deliveries: number) =>
  Math.min(30_000, 1000 * 2 ** Math.max(0, deliveries - 1));
const MAX_DELIVER = 20;
const ACK_WAIT_MS = 60_000;

/**
 * Nest transport strategy over NATS: events through JetStream durable pull
 * consumers (one per service and subject, shared by replicas, ack after the
 * handler committed), requests through core NATS with a queue group per service.
 */
export class JetStreamServer extends BusServer {
  private readonly consumers: ConsumerMessages[] = [];
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsBusOptions,
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const subject of this.eventSubjects()) await this.consume(subject);
      for (const subject of this.requestSubjects()) this.answer(subject);
      callback();
    } catch (error) {
      callback(error);
    }
  }

  /** Durable consumer names are persistent contracts: `<service>--<subject>`. */
  private durableName(subject: string): string {
    return `${this.options.service}--${subject.replace(/\./g, '_')}`;
  }

  private async consume(subject: EventSubject): Promise<void> {
    const stream = streamName(this.options.prefix);
    const durable = this.durableName(subject);
    const jsm = await jetstreamManager(this.nc);
    const config = {
      durable_name: durable,
      filter_subject: natsSubject(this.options.prefix, subject),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(ACK_WAIT_MS),
      max_deliver: MAX_DELIVER,
    };
    try {
      await jsm.consumers.info(stream, durable);
    } catch {
      await jsm.consumers.add(stream, config);
    }
    const consumer = await jetstream(this.nc).consumers.get(stream, durable);
    const messages = await consumer.consume({ max_messages: 16 });
    this.consumers.push(messages);
    void (async () => {
      for await (const m of messages) {
        let raw: unknown;
        try {
          raw = m.json();
        } catch {
          m.term('not JSON');
          continue;
        }
        const outcome = await context.with(traceContextOf(m.headers), () =>
          this.dispatchEvent(subject, raw),
        );
        if (outcome.kind === 'done') m.ack();
        else if (outcome.kind === 'poison') m.term();
        else m.nak(retryDelayMs(m.info.deliveryCount));
      }
    })();
  }

  private answer(subject: RequestSubject): void {
    const sub = this.nc.subscribe(natsSubject(this.options.prefix, subject), {
      queue: this.options.service,
      callback: (error, msg) => {
        if (error) return this.log.error(`subscription ${subject}: ${error.message}`);
        void (async () => {
          let raw: unknown;
          try {
            raw = msg.json();
          } catch {
            raw = undefined;
          }
          const reply = await context.with(traceContextOf(msg.headers), () =>
            this.dispatchRequest(subject, raw),
          );
          msg.respond(JSON.stringify(reply));
        })();
      },
    });
    this.subscriptions.push(sub);
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.close();
    for (const s of this.subscriptions) s.unsubscribe();
  }
}

import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { DomainError, type EventSubject, type RequestSubject } from '@convergio/contracts';
import { BusServer } from './bus-server.js';
import { eventIdKey } from './envelope-factory.js';
import { traceContextOf } from './trace-headers.js';
import { TurnBatch } from './turn-batch.js';
import { replyTooLarge } from './bus-limits.js';
import { natsSubject, parseEventSubject, streamName } from './bus-names.js';
import type { NatsBusOptions } from './nats-connection.js';

/** Retry delays for a failed event: 1 s, 2 s, 4 s ... capped at 30 s. */
const retryDelayMs = (deliveries: number) =>
  Math.min(30_000, 1000 * 2 ** Math.max(0, deliveries - 1));
const MAX_DELIVER = 20;
const ACK_WAIT_MS = 60_000;
/** Messages pulled from the server at a time (more when the service handles more at once). */
const PULL_BATCH = 16;

/**
 * Nest transport strategy over NATS: events through ONE JetStream durable pull consumer
 * per service (all event subjects, in stream order, shared by the service's replicas, ack
 * after the handler committed), requests through core NATS with a queue group per service.
 * One consumer keeps each service's view causal: plugin.approved is never handled before
 * the plugin.verified it follows. A service that needs no order (the audit log) may take
 * `eventBatch` events at once instead; each is still acked only when its own handler settles.
 */
export class JetStreamServer extends BusServer {
  private readonly consumers: ConsumerMessages[] = [];
  private readonly subscriptions: Subscription[] = [];
  private readonly replies = new TurnBatch();

  constructor(
    private readonly nc: NatsConnection,
    private readonly options: NatsBusOptions,
  ) {
    const credentials = options.credentials;
    super(
      eventIdKey(
        options.service,
        credentials && ('nkeySeed' in credentials ? credentials.nkeySeed : credentials.password),
      ),
    );
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      const events = this.eventSubjects();
      if (events.length > 0) await this.consume(new Set(events));
      for (const subject of this.requestSubjects()) this.answer(subject);
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async consume(handled: ReadonlySet<EventSubject>): Promise<void> {
    const stream = streamName(this.options.prefix);
    // The durable name is a persistent contract: the service's name.
    const durable = this.options.service;
    const jsm = await jetstreamManager(this.nc);
    const config = {
      durable_name: durable,
      filter_subject: `${this.options.prefix}.>`,
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
    const batch = this.options.eventBatch ?? 1;
    const messages = await consumer.consume({ max_messages: Math.max(PULL_BATCH, batch) });
    this.consumers.push(messages);
    const inFlight = new Set<Promise<void>>();
    void (async () => {
      for await (const m of messages) {
        const event = parseEventSubject(this.options.prefix, m.subject);
        if (!event || !handled.has(event.subject)) {
          m.ack(); // an event this service does not handle
          continue;
        }
        const handling = this.handle(m, event.subject, event.publisher);
        if (batch === 1) {
          await handling;
          continue;
        }
        // Up to `batch` handlers run together; each message is settled by its own.
        inFlight.add(handling);
        void handling.finally(() => inFlight.delete(handling));
        if (inFlight.size >= batch) await Promise.race(inFlight);
      }
    })();
  }

  /** Hands one message to its handler, then acks, retries or drops it by the outcome; never throws. */
  private async handle(m: JsMsg, subject: EventSubject, publisher?: string): Promise<void> {
    let raw: unknown;
    try {
      raw = m.json();
    } catch {
      this.dropped(subject, m.string(), 'not JSON');
      m.term('not JSON');
      return;
    }
    const outcome = await this.dispatchEvent(subject, raw, {
      delivery: `${m.info.stream}:${m.seq}`,
      publisher,
      trace: traceContextOf(m.headers),
    });
    if (outcome.kind === 'done') m.ack();
    else if (outcome.kind === 'poison') {
      this.dropped(subject, m.string(), `refused by its handler: ${String(outcome.error)}`);
      m.term();
    } else if (m.info.deliveryCount >= MAX_DELIVER) {
      // JetStream would stop delivering it without a word.
      this.dropped(
        subject,
        m.string(),
        `gave up after ${m.info.deliveryCount} deliveries: ${String(outcome.error)}`,
      );
      m.term();
    } else m.nak(retryDelayMs(m.info.deliveryCount));
  }

  // The stream keeps the message, but this consumer never sees it again: the error log names it
  // and holds all of it, JSON-escaped, so an operator can record or replay it.
  private dropped(subject: string, body: string, why: string): void {
    this.log.error(
      `${subject} dropped by ${this.options.service}, ${why}; the event: ${JSON.stringify(body)}`,
    );
  }

  private answer(subject: RequestSubject): void {
    const onSubject = natsSubject(this.options.prefix, subject);
    const sub = this.nc.subscribe(onSubject, {
      queue: this.options.service,
      callback: (error, msg) => {
        if (error) return this.log.error(`subscription ${subject}: ${error.message}`);
        // Any user allowed to create a JetStream push consumer can name this subject as its
        // deliver subject and so hand us stored messages it wrote itself: those keep their own
        // subject and carry a $JS.ACK reply. A request is made on this very subject, replied to
        // on an inbox.
        if (msg.subject !== onSubject || !msg.reply?.startsWith('_INBOX.'))
          return this.log.warn(
            `${subject}: ignored a message from ${msg.subject} with reply ${msg.reply ?? '(none)'}: not a request`,
          );
        void (async () => {
          let raw: unknown;
          try {
            raw = msg.json();
          } catch {
            raw = undefined;
          }
          const reply = await this.dispatchRequest(subject, raw, traceContextOf(msg.headers));
          const body = this.fitted(subject, reply);
          this.replies.run(() => {
            try {
              msg.respond(body);
            } catch (error) {
              this.log.warn(`${subject}: reply not sent: ${String(error)}`);
            }
          });
        })().catch((error: unknown) =>
          // Nothing here may end the process: a rejection left unhandled would.
          this.log.error(`${subject}: request not answered: ${String(error)}`),
        );
      },
    });
    this.subscriptions.push(sub);
  }

  /**
   * The reply as sent: its JSON, or, when that is over the server's max_payload (which nats.js
   * would refuse to send, leaving the requester to time out), a `reply_too_large` error naming
   * the limit, answered at once; an `internal` error when the reply cannot be written as JSON.
   */
  private fitted(subject: RequestSubject, reply: unknown): string {
    let body: string;
    try {
      body = JSON.stringify(reply);
    } catch (error) {
      this.log.error(`${subject}: the reply cannot be written as JSON: ${String(error)}`);
      const unwritable = new DomainError('internal', 'the reply could not be written as JSON');
      return JSON.stringify({ ok: false, error: unwritable.toJSON() });
    }
    const max = this.nc.info?.max_payload;
    if (max === undefined || body.length * 3 <= max || Buffer.byteLength(body) <= max) return body;
    const bytes = Buffer.byteLength(body);
    this.log.warn(`${subject}: a reply of ${bytes} bytes is over max_payload (${max}); refused`);
    return JSON.stringify({ ok: false, error: replyTooLarge(subject, bytes, max).toJSON() });
  }

  async close(): Promise<void> {
    for (const c of this.consumers) await c.close();
    for (const s of this.subscriptions) s.unsubscribe();
  }
}

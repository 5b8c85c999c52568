import {
  createInbox,
  NoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type PermissionViolationError,
} from '@nats-io/transport-node';
import { TurnBatch } from './turn-batch.js';

interface Waiting {
  subject: string;
  resolve: (msg: Msg) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * Core NATS requests over one reply subscription (`<inbox prefix>.<nuid>.*`), as nats.js's own
 * `request` does, without what it builds per request besides: a timer promise raced against the
 * reply's, a random token, and an error (its stack captured) made when the request is cancelled
 * after its reply has come. Settles each request as nats.js would: the reply; a
 * NoRespondersError when the server says nobody listens; a TimeoutError after `timeoutMs`; the
 * permission error when the server refuses the publish; a RequestError when the connection
 * closes or the reply subscription fails.
 */
export class ReplyMux {
  private readonly inbox: string;
  private readonly waiting = new Map<string, Waiting>();
  private next = 0;
  private readonly publishes = new TurnBatch();

  constructor(
    private readonly nc: NatsConnection,
    inboxPrefix: string,
  ) {
    this.inbox = `${createInbox(inboxPrefix)}.`;
    nc.subscribe(`${this.inbox}*`, {
      callback: (error, msg) => (error ? this.failAll(error) : this.settle(msg)),
    });
    void nc.closed().then(() => this.failAll(new RequestError('connection closed')));
  }

  /**
   * Publishes `payload` on `subject` at the end of this turn of the event loop, in one write with
   * the other requests made in it, and resolves to the first reply.
   */
  request(subject: string, payload: string, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    const token = (this.next++).toString(36);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        reject(new TimeoutError());
      }, timeoutMs);
      this.waiting.set(token, { subject, resolve, reject, timer });
      this.publishes.run(() => {
        if (!this.waiting.has(token)) return; // failed meanwhile: the connection closed
        try {
          this.nc.publish(subject, payload, { reply: `${this.inbox}${token}`, headers });
        } catch (error) {
          this.end(token)?.reject(error as Error);
        }
      });
    });
  }

  /**
   * The server refused a publish (a status event of the connection): fails the oldest request
   * on that subject, as nats.js does.
   */
  publishRefused(error: PermissionViolationError): void {
    if (error.operation !== 'publish') return;
    for (const [token, w] of this.waiting)
      if (w.subject === error.subject) return this.end(token)?.reject(error);
  }

  private settle(msg: Msg): void {
    const waiting = this.end(msg.subject.slice(this.inbox.length));
    if (!waiting) return; // late, after its timeout
    if (msg.data.length === 0 && msg.headers?.code === 503)
      waiting.reject(new NoRespondersError(waiting.subject));
    else waiting.resolve(msg);
  }

  private end(token: string): Waiting | undefined {
    const waiting = this.waiting.get(token);
    if (!waiting) return undefined;
    this.waiting.delete(token);
    clearTimeout(waiting.timer);
    return waiting;
  }

  private failAll(error: Error): void {
    for (const token of [...this.waiting.keys()]) this.end(token)?.reject(error);
  }
}

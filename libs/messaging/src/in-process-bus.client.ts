import { Logger } from '@nestjs/common';
import {
  DomainError,
  validateEventEnvelope,
  type EventEnvelope,
  type EventSubject,
  type Reply,
  type RequestEnvelope,
} from '@convergio/contracts';
import type { Context } from '@opentelemetry/api';
import { BusClient, type WatchHandler } from './bus-client.js';
import { answererOf } from './bus-limits.js';
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

  watch(subjects: readonly EventSubject[], handler: WatchHandler): Promise<() => Promise<void>> {
    const line = {};
    const stops = subjects.map((subject) =>
      this.hub.onEvent(
        subject,
        (raw) => {
          try {
            handler(validateEventEnvelope(subject, raw));
          } catch (error) {
            new Logger(`${this.service} watch`).error(`${subject} skipped: ${String(error)}`);
          }
          return Promise.resolve({ kind: 'done' } as const);
        },
        line,
      ),
    );
    return Promise.resolve(() => {
      for (const stop of stops) stop();
      return Promise.resolve();
    });
  }

  protected send(envelope: EventEnvelope, trace?: Context): Promise<void> {
    this.hub.publish(envelope.type, envelope.id, copy(envelope), trace);
    return Promise.resolve();
  }

  protected async exchange(
    envelope: RequestEnvelope,
    _timeoutMs: number | undefined,
    trace: Context | undefined,
  ): Promise<Reply<unknown>> {
    const reply = await this.hub.request(envelope.type, copy(envelope), trace);
    if (!reply)
      throw new DomainError(
        'unavailable',
        `${answererOf(envelope.type)} is not running; retry later`,
      );
    return copy(reply);
  }
}

import type { BusClient, TransactionalOutbox } from '@convergio/messaging';

/**
 * A bus that records what the executor publishes, directly or through its outbox (unit specs;
 * the real bus and outbox are in the messaging and e2e suites).
 */
export class RecordingBus {
  readonly published: { subject: string; data: Record<string, unknown> }[] = [];

  publish(subject: string, data: Record<string, unknown>): Promise<string> {
    this.published.push({ subject, data });
    return Promise.resolve('event-id');
  }

  record(subject: string, data: Record<string, unknown>): Promise<string> {
    return this.publish(subject, data);
  }

  asBusClient(): BusClient {
    return this as unknown as BusClient;
  }

  asOutbox(): TransactionalOutbox {
    return this as unknown as TransactionalOutbox;
  }
}

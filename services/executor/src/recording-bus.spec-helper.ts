import type { BusClient } from '@convergio/messaging';

/** A bus that records what the executor publishes (unit specs; the real bus is in the e2e suite). */
export class RecordingBus {
  readonly published: { subject: string; data: Record<string, unknown> }[] = [];

  publish(subject: string, data: Record<string, unknown>): Promise<string> {
    this.published.push({ subject, data });
    return Promise.resolve('event-id');
  }

  asBusClient(): BusClient {
    return this as unknown as BusClient;
  }
}

/**
 * A publish the bus could not take for a reason that has nothing to do with the event: no
 * connection, no answer in time, JetStream unavailable. Publishing the same event later may
 * succeed; the transactional outbox retries it without counting an attempt against it. Any
 * other publish error is about the event itself (its subject, size, permissions or content).
 */
export class BusUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'BusUnavailableError';
  }
}

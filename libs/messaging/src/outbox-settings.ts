/** How a transactional outbox treats an event the bus keeps refusing (ADR 0016). */
export interface OutboxSettings {
  /**
   * Failed publishes caused by the event itself (not a bus outage) after which it is set aside
   * (dead-lettered): no longer retried, kept in the table for an operator. At least 1.
   */
  maxAttempts: number;
}

/**
 * Ten attempts: the last one about eight and a half minutes after the first, since the waits
 * between them double from 1 s (1, 2, 4 ... 256 s).
 */
export const DEFAULT_OUTBOX_SETTINGS: OutboxSettings = { maxAttempts: 10 };

/** Injection token of the process's {@link OutboxSettings} (`MessagingModule.forRoot`). */
export const OUTBOX_SETTINGS = Symbol('OUTBOX_SETTINGS');

/** The NATS subject of a contract subject under a prefix. */
export function natsSubject(prefix: string, subject: string): string {
  return `${prefix}.${subject}`;
}

/** The JetStream stream holding the events of a prefix. */
export function streamName(prefix: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_EVENTS`;
}

/**
 * Where a service receives its replies (requests, JetStream API answers, pulled messages):
 * `_INBOX.<service>`, so nats.conf can let each service subscribe to its own inboxes only and
 * no service reads another's replies (secret values among them).
 */
export function inboxPrefix(service: string): string {
  return `_INBOX.${service}`;
}

import { ALL_EVENT_SUBJECTS, type EventSubject } from '@convergio/contracts';

/** The NATS subject of a contract subject under a prefix (requests; events use natsEventSubject). */
export function natsSubject(prefix: string, subject: string): string {
  return `${prefix}.${subject}`;
}

/**
 * The NATS subject of an event: `<prefix>.<event subject>.<publisher>`. The last token names the
 * service that published it, which deploy/nats/nats.conf lets that service alone publish, so a
 * consumer knows the publisher from the subject, not from what the envelope claims.
 */
export function natsEventSubject(prefix: string, subject: EventSubject, publisher: string): string {
  return `${prefix}.${subject}.${publisher}`;
}

const eventSubjects = new Set<string>(ALL_EVENT_SUBJECTS);

/**
 * The event subject and publisher of a NATS subject under `prefix` (the inverse of
 * natsEventSubject), or undefined for a subject that is not an event's. A message stored before
 * subjects named their publisher (`<prefix>.<event subject>`) has no publisher.
 */
export function parseEventSubject(
  prefix: string,
  nats: string,
): { subject: EventSubject; publisher?: string } | undefined {
  if (!nats.startsWith(`${prefix}.`)) return undefined;
  const rest = nats.slice(prefix.length + 1);
  if (eventSubjects.has(rest)) return { subject: rest as EventSubject };
  const dot = rest.lastIndexOf('.');
  const subject = rest.slice(0, dot);
  if (dot < 0 || !eventSubjects.has(subject)) return undefined;
  return { subject: subject as EventSubject, publisher: rest.slice(dot + 1) };
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

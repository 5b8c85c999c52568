import { Logger } from '@nestjs/common';
import {
  connect,
  nanos,
  nkeyAuthenticator,
  PermissionViolationError,
  type NatsConnection,
} from '@nats-io/transport-node';
import { jetstreamManager, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { ALL_EVENT_SUBJECTS } from '@convergio/contracts';

/**
 * How a service proves who it is to NATS (deploy/nats/nats.conf names one user per service):
 * a user and password, or an NKEY seed (`SU...`, whose public key the server lists).
 */
export type NatsCredentials = { user: string; password: string } | { nkeySeed: string };

/** Where the bus lives and how this process is named on it. */
export interface NatsBusOptions {
  url: string;
  /** Service name: durable consumer, queue group and inbox names derive from it. */
  service: string;
  /** Prefix of every NATS subject and the stream name, so deployments and test runs can share a server. */
  prefix: string;
  /**
   * Events the service's consumer hands to its handlers at once, each acknowledged when its own
   * handler settles. Default 1: one at a time, in stream order, which keeps the service's view
   * causal; more only for a service whose handlers need no order (the audit log).
   */
  eventBatch?: number;
  /** None: the server must allow anonymous clients (development, the test server). */
  credentials?: NatsCredentials;
}

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

/** How long JetStream remembers message ids for publish de-duplication. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

function authOptions(credentials: NatsCredentials | undefined) {
  if (!credentials) return {};
  if ('nkeySeed' in credentials)
    return { authenticator: nkeyAuthenticator(new TextEncoder().encode(credentials.nkeySeed)) };
  return { user: credentials.user, pass: credentials.password };
}

/**
 * Connects and makes sure the event stream exists with the current subject list. A stream
 * already in place with that list is left alone. A service whose NATS user may not update the
 * stream (nats.conf grants that to the audit service) boots all the same, with a warning: its
 * events of a subject the stream lacks fail; its outbox retries them and, after
 * OUTBOX_MAX_ATTEMPTS, sets them aside for an operator to replay once the stream is updated.
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<NatsConnection> {
  const nc = await connect({
    servers: options.url,
    name: options.service,
    inboxPrefix: inboxPrefix(options.service),
    ...authOptions(options.credentials),
    maxReconnectAttempts: -1,
    // Otherwise every request builds two errors up front (their stacks, for a failure that
    // rarely comes): about 80 µs per invoke. A failed request still names its subject (toUnavailable).
    noAsyncTraces: true,
  });
  try {
    await ensureStream(nc, options);
  } catch (error) {
    // Else the client would keep reconnecting forever for a process that gave up.
    await nc.close();
    throw error;
  }
  return nc;
}

async function ensureStream(nc: NatsConnection, options: NatsBusOptions): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: streamName(options.prefix),
    subjects: ALL_EVENT_SUBJECTS.map((s) => natsSubject(options.prefix, s)),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  };
  const current = await jsm.streams.info(config.name).catch(() => undefined);
  if (!current) await jsm.streams.add(config);
  else if (!sameSubjects(current.config.subjects, config.subjects))
    await jsm.streams.update(config.name, config).catch((error: unknown) => {
      if (!isPermissionViolation(error)) throw error;
      new Logger(options.service).warn(
        `the stream ${config.name} lacks subjects of this release and this NATS user may not update it: start the audit service, which may`,
      );
    });
}

/** A request refused by the server's permissions (nats.js wraps it in a RequestError). */
function isPermissionViolation(error: unknown): boolean {
  return (
    error instanceof PermissionViolationError ||
    (error instanceof Error && error.cause instanceof PermissionViolationError)
  );
}

function sameSubjects(a: readonly string[] | undefined, b: readonly string[]): boolean {
  return a?.length === b.length && b.every((s) => a.includes(s));
}

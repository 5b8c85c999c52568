import { Logger } from '@nestjs/common';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { inboxPrefix } from './bus-names.js';
import { checkEventStream, provisionEventStream } from './event-stream.js';

/**
 * How a process proves who it is to NATS (deploy/nats/nats.conf names one user per service, and
 * the provisioner): a user and password, or an NKEY seed (`SU...`, whose public key the server lists).
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

function authOptions(credentials: NatsCredentials | undefined) {
  if (!credentials) return {};
  if ('nkeySeed' in credentials)
    return { authenticator: nkeyAuthenticator(new TextEncoder().encode(credentials.nkeySeed)) };
  return { user: credentials.user, pass: credentials.password };
}

/**
 * Connects a service and checks the event stream. Logged in as itself (credentials: production),
 * the service only looks the stream up: the provisioning step defines it (PROVISIONING_COMMAND).
 * Without credentials (a development or test server) it creates the stream or updates it to this
 * release's subjects, as the provisioning step would.
 * @throws EventStreamError, logged in as itself, when the stream is missing or its subjects are
 *   not exactly this release's
 */
export async function connectNatsBus(options: NatsBusOptions): Promise<NatsConnection> {
  const nc = await openNatsConnection({
    url: options.url,
    name: options.service,
    credentials: options.credentials,
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

/**
 * Connects as `name` (a service, or the provisioner), with `_INBOX.<name>` as inbox prefix, and
 * reconnects forever once connected. Rejects when the server cannot be reached or refuses the
 * credentials.
 */
export async function openNatsConnection(options: {
  url: string;
  name: string;
  credentials?: NatsCredentials;
}): Promise<NatsConnection> {
  return connect({
    servers: options.url,
    name: options.name,
    inboxPrefix: inboxPrefix(options.name),
    ...authOptions(options.credentials),
    maxReconnectAttempts: -1,
    // Otherwise every request builds two errors up front (their stacks, for a failure that
    // rarely comes): about 80 µs per invoke. A failed request still names its subject (toUnavailable).
    noAsyncTraces: true,
  });
}

async function ensureStream(nc: NatsConnection, options: NatsBusOptions): Promise<void> {
  if (options.credentials) return checkEventStream(nc, options.prefix);
  const { stream, removed } = await provisionEventStream(nc, options.prefix);
  if (removed.length > 0)
    new Logger(options.service).error(
      `the event stream ${stream} stored subjects this release does not define, now removed: ${removed.join(', ')}`,
    );
}

import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { reachTestServer } from './reach-test-server.js';

/** The NATS server (with JetStream) tests use; override with NATS_URL. */
export const TEST_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** Where `connectTestNats` connects and how long it keeps trying. */
export interface TestNatsOptions {
  url?: string;
  /** How long one attempt may take, handshake included (ms). */
  attemptMs?: number;
  /** How long to keep trying before failing (ms). */
  patienceMs?: number;
}

/**
 * Connects to the test NATS server, trying again while it stalls or refuses for up to
 * `patienceMs` (30 s unless given), then failing loudly with the command that starts it.
 *
 * @throws Error `NATS is unreachable at <url> (...): start nats-server ...`
 */
export async function connectTestNats({
  url = TEST_NATS_URL,
  attemptMs = 5_000,
  patienceMs,
}: TestNatsOptions = {}): Promise<NatsConnection> {
  return reachTestServer(
    {
      name: 'NATS',
      url,
      start:
        'start nats-server with JetStream (nats-server -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server)',
    },
    () => connect({ servers: url, timeout: attemptMs }),
    patienceMs,
  );
}

/** Deletes a JetStream stream if it exists (test clean-up). */
export async function deleteTestStream(name: string): Promise<void> {
  const nc = await connectTestNats();
  try {
    await (await jetstreamManager(nc)).streams.delete(name).catch(() => false);
  } finally {
    await nc.close();
  }
}

/** The ids of the events a stream holds (of `subject` only, when given), oldest first. */
export async function storedEventIds(
  nc: NatsConnection,
  stream: string,
  subject?: string,
): Promise<string[]> {
  const jsm = await jetstreamManager(nc);
  const { state } = await jsm.streams.info(stream);
  const ids: string[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m && (subject === undefined || m.subject === subject))
      ids.push(m.json<{ id: string }>().id);
  }
  return ids;
}

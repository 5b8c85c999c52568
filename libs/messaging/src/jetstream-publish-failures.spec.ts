import { randomUUID } from 'node:crypto';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import { TEST_NATS_URL } from '@convergio/testing';
import { BusUnavailableError } from './bus-unavailable.error.js';
import { JetStreamBusClient } from './jetstream-bus.client.js';
import { natsEventSubject, streamName } from './bus-names.js';
import { connectNatsBus, type NatsBusOptions } from './nats-connection.js';

// Which publish failures are the bus's (BusUnavailableError: the outbox waits, counting nothing)
// and which the event's own (the outbox counts them against it and at last sets it aside), on the
// real server. outbox-dead-letter.spec.ts proves the event's own kinds end to end.

const revocation = (client: JetStreamBusClient) =>
  client.createEvent(EventSubjects.PluginRevoked, {
    plugin_id: 'acme.notes',
    version: '1.0.0',
    revoked_by: 'admin-key',
  });

async function failureOf(client: JetStreamBusClient, event: EventEnvelope): Promise<unknown> {
  return client.publishEnvelope(event).then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe('JetStreamBusClient publish failures', () => {
  const options: NatsBusOptions = {
    url: TEST_NATS_URL,
    service: 'registry',
    prefix: `pubfail_${randomUUID().slice(0, 8)}`,
  };
  const STREAM = streamName(options.prefix);
  let nc: NatsConnection;
  let client: JetStreamBusClient;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connectNatsBus(options);
    client = new JetStreamBusClient(nc, options);
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await jsm?.streams.delete(STREAM).catch(() => false);
    await nc?.close();
  });

  const editStream = async (edit: (config: { subjects: string[] }) => object) => {
    const { config } = await jsm.streams.info(STREAM);
    await jsm.streams.update(STREAM, { ...config, ...edit(config) });
  };

  it('blames the event for a subject the stream lacks, naming both', async () => {
    const subject = natsEventSubject(options.prefix, EventSubjects.PluginRevoked, 'registry');
    await editStream((c) => ({ subjects: c.subjects.filter((s) => s !== subject) }));
    try {
      const error = await failureOf(client, revocation(client));
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(BusUnavailableError);
      expect((error as Error).message).toBe(`the stream ${STREAM} does not take ${subject}`);
    } finally {
      await editStream((c) => ({ subjects: [...c.subjects, subject] }));
    }
  });

  it('blames the bus when the stream itself does not answer (deleted, or JetStream down)', async () => {
    await jsm.streams.delete(STREAM);
    try {
      expect(await failureOf(client, revocation(client))).toBeInstanceOf(BusUnavailableError);
    } finally {
      await connectNatsBus(options).then((c) => c.close()); // recreates the stream
    }
  });

  it('blames the bus for a closed connection', async () => {
    const closing = await connectNatsBus(options);
    const closed = new JetStreamBusClient(closing, options);
    await closing.close();
    expect(await failureOf(closed, revocation(closed))).toBeInstanceOf(BusUnavailableError);
  });
});

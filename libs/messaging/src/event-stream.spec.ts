import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { connectTestNats, deleteTestStream, TEST_NATS_URL } from '@convergio/testing';
import { natsEventSubject, natsSubject, streamName } from './bus-names.js';
import {
  checkEventStream,
  DUPLICATE_WINDOW_MS,
  PROVISIONING_COMMAND,
  provisionEventStream,
  releaseEventSubjects,
} from './event-stream.js';
import { connectNatsBus } from './nats-connection.js';

describe('the event stream of a release', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  const stream = streamName(prefix);
  const release = releaseEventSubjects(prefix).sort();
  const lacking = natsEventSubject(prefix, 'plugin.crashed', 'executor');
  // A request subject and every inbox: stored, secret values and tokens would be readable.
  const capturing = [natsSubject(prefix, 'secrets.>'), '_INBOX.>'];
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connectTestNats();
    jsm = await jetstreamManager(nc);
  });

  afterAll(async () => {
    await deleteTestStream(stream);
    await nc.close();
  });

  const subjects = async () => (await jsm.streams.info(stream)).config.subjects.slice().sort();
  const refusal = () =>
    checkEventStream(nc, prefix).then(
      () => 'accepted',
      (error: unknown) => error,
    );

  it('refuses a service a missing stream, naming the provisioning step', async () => {
    expect(await refusal()).toMatchObject({
      code: 'event_stream_missing',
      message: expect.stringContaining(PROVISIONING_COMMAND),
    });
    await expect(jsm.streams.info(stream)).rejects.toThrow();
  });

  it("creates the stream with the release's subjects and limits, then leaves it as it is", async () => {
    expect(await provisionEventStream(nc, prefix)).toMatchObject({
      stream,
      outcome: 'created',
    });
    expect(await subjects()).toEqual(release);
    expect((await jsm.streams.info(stream)).config).toMatchObject({
      retention: 'limits',
      storage: 'file',
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    });
    expect(await provisionEventStream(nc, prefix)).toMatchObject({
      outcome: 'unchanged',
      added: [],
      removed: [],
    });
    expect(await refusal()).toBe('accepted');
  });

  it('refuses a stream that stores subjects beyond the release, even one lacking some', async () => {
    await jsm.streams.update(stream, {
      subjects: [...release.filter((s) => s !== lacking), ...capturing],
    });
    const refused = await refusal();
    expect(refused).toMatchObject({
      code: 'event_stream_foreign_subjects',
      subjects: capturing,
      message: expect.stringContaining(PROVISIONING_COMMAND),
    });
    expect((refused as Error).message).toContain('_INBOX.>');
    expect(await provisionEventStream(nc, prefix)).toMatchObject({
      outcome: 'updated',
      added: [lacking],
      removed: capturing,
    });
    expect(await subjects()).toEqual(release);
  });

  it('refuses a stream lacking a subject of the release', async () => {
    await jsm.streams.update(stream, { subjects: release.filter((s) => s !== lacking) });
    expect(await refusal()).toMatchObject({
      code: 'event_stream_outdated',
      subjects: [lacking],
      message: expect.stringContaining(PROVISIONING_COMMAND),
    });
    await provisionEventStream(nc, prefix);
    expect(await refusal()).toBe('accepted');
  });

  it("restores the release's limits and keeps those the release leaves unset", async () => {
    const maxAge = nanos(24 * 3600_000);
    await jsm.streams.update(stream, { duplicate_window: nanos(1000), max_age: maxAge });
    expect(await provisionEventStream(nc, prefix)).toMatchObject({
      outcome: 'updated',
      added: [],
      removed: [],
    });
    expect((await jsm.streams.info(stream)).config).toMatchObject({
      duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_age: maxAge,
    });
  });

  it('lets a service without credentials (development) put the stream right, loudly', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await jsm.streams.update(stream, { subjects: [...release, ...capturing] });
      const service = await connectNatsBus({ url: TEST_NATS_URL, service: 'registry', prefix });
      await service.close();
      expect(await subjects()).toEqual(release);
      expect(logged).toHaveBeenCalledWith(expect.stringContaining('_INBOX.>'));
    } finally {
      logged.mockRestore();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventPattern, Payload } from '@nestjs/microservices';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { EventSubjects, type EventEnvelope, type EventSubject } from '@convergio/contracts';
import { connectTestNats, expectEventually, TEST_NATS_URL } from '@convergio/testing';
import { BusClient } from './bus-client.js';
import { BusController } from './bus-error.filter.js';
import { natsEventSubject, natsSubject, streamName } from './bus-names.js';
import { createEnvelope } from './envelope-factory.js';
import { InProcessHub } from './in-process-hub.js';
import { MessagingModule, connectBus, type MessagingOptions } from './messaging.module.js';

@Injectable()
class Seen {
  events: { id: string; source: string }[] = [];
}

/** An audit-like consumer of two event types: permission.denied has two publishers. */
@BusController()
class Recorder {
  constructor(private readonly seen: Seen) {}

  @EventPattern(EventSubjects.PermissionDenied)
  denied(@Payload() e: EventEnvelope) {
    this.seen.events.push({ id: e.id, source: e.source });
  }

  @EventPattern(EventSubjects.PluginRevoked)
  revoked(@Payload() e: EventEnvelope) {
    this.seen.events.push({ id: e.id, source: e.source });
  }
}

async function startApp(options: MessagingOptions, service: string): Promise<INestApplication> {
  @Module({
    imports: [MessagingModule.forRoot(options), MessagingModule.forService(service)],
    controllers: [Recorder],
    providers: [Seen],
  })
  class AppModule {}
  const app = await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false });
  await connectBus(app);
  await app.init();
  return app;
}

const denial = (source: string) =>
  createEnvelope(
    EventSubjects.PermissionDenied,
    { plugin_id: 'a.b', version: '1.0.0', capability: 'fs.read', target: '/x', reason: 'r' },
    source,
  );
const revocation = (source: string) =>
  createEnvelope(
    EventSubjects.PluginRevoked,
    { plugin_id: 'a.b', version: '1.0.0', revoked_by: 'k' },
    source,
  );

/**
 * An event's source is bound to its publisher: on NATS by the last token of its subject (which
 * nats.conf lets that publisher alone use), everywhere by the publishers of its type.
 */
describe('event sources over NATS JetStream', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  let audit: INestApplication;
  let nc: NatsConnection;
  let watched: { id: string; source: string }[];
  let stopWatch: () => Promise<void>;

  beforeAll(async () => {
    audit = await startApp({ kind: 'nats', url: TEST_NATS_URL, service: 'audit', prefix }, 'audit');
    nc = await connectTestNats();
    watched = [];
    stopWatch = await audit
      .get(BusClient)
      .watch([EventSubjects.PermissionDenied, EventSubjects.PluginRevoked], (e) =>
        watched.push({ id: e.id, source: e.source }),
      );
  });
  afterAll(async () => {
    await stopWatch?.();
    await audit?.close();
    await (await jetstreamManager(nc)).streams.delete(streamName(prefix));
    await nc?.close();
  });

  const publish = (subject: string, envelope: EventEnvelope) =>
    jetstream(nc).publish(subject, JSON.stringify(envelope), { msgID: envelope.id });
  const on = (subject: EventSubject, publisher: string) =>
    natsEventSubject(prefix, subject, publisher);

  it('hands each publisher of a shared event type its own events, under its own name', async () => {
    const fromExecutor = denial('executor');
    const fromBroker = denial('secret-broker');
    await publish(on(EventSubjects.PermissionDenied, 'executor'), fromExecutor);
    await publish(on(EventSubjects.PermissionDenied, 'secret-broker'), fromBroker);
    const expected = [
      { id: fromExecutor.id, source: 'executor' },
      { id: fromBroker.id, source: 'secret-broker' },
    ];
    await expectEventually(() => expect(audit.get(Seen).events).toEqual(expected));
    await expectEventually(() => expect(watched).toEqual(expected));
  });

  it.each([
    [
      "another publisher's name on its own subject",
      EventSubjects.PermissionDenied,
      'executor',
      'secret-broker',
    ],
    [
      'a service that does not publish the type',
      EventSubjects.PluginRevoked,
      'registry',
      'executor',
    ],
  ])(
    'refuses an event claiming %s, and handles the next one',
    async (_what, type, publisher, claimed) => {
      const seen = audit.get(Seen);
      seen.events = [];
      watched.length = 0;
      const forged = type === EventSubjects.PluginRevoked ? revocation(claimed) : denial(claimed);
      const next = type === EventSubjects.PluginRevoked ? revocation(publisher) : denial(publisher);
      await publish(on(type, publisher), forged);
      await publish(on(type, publisher), next);
      const expected = [{ id: next.id, source: publisher }];
      await expectEventually(() => expect(seen.events).toEqual(expected));
      await expectEventually(() => expect(watched).toEqual(expected));
    },
  );

  it('takes an event stored before subjects named their publisher, from one of its publishers only', async () => {
    // A stream provisioned by the earlier release held `<prefix>.<type>`.
    const jsm = await jetstreamManager(nc);
    const { config } = await jsm.streams.info(streamName(prefix));
    const legacy = natsSubject(prefix, EventSubjects.PluginRevoked);
    await jsm.streams.update(streamName(prefix), { subjects: [...config.subjects, legacy] });
    const seen = audit.get(Seen);
    seen.events = [];
    const forged = revocation('gateway');
    const kept = revocation('registry');
    await publish(legacy, forged);
    await publish(legacy, kept);
    await expectEventually(() =>
      expect(seen.events).toEqual([{ id: kept.id, source: 'registry' }]),
    );
  });
});

describe('event sources in standalone mode (one process, in-process bus)', () => {
  it("refuses an event from a service that does not publish its type, and handles the publisher's", async () => {
    const hub = new InProcessHub();
    const audit = await startApp({ kind: 'in-process', hub }, 'audit');
    const gateway = await startApp({ kind: 'in-process', hub }, 'gateway');
    const registry = await startApp({ kind: 'in-process', hub }, 'registry');
    try {
      const revoked = { plugin_id: 'a.b', version: '1.0.0', revoked_by: 'k' };
      await gateway.get(BusClient).publish(EventSubjects.PluginRevoked, revoked);
      const id = await registry.get(BusClient).publish(EventSubjects.PluginRevoked, revoked);
      await expectEventually(() =>
        expect(audit.get(Seen).events).toEqual([{ id, source: 'registry' }]),
      );
    } finally {
      for (const app of [gateway, registry, audit]) await app.close();
    }
  });
});

import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { EventSubjects, RequestSubjects, type RequestEnvelope } from '@convergio/contracts';
import { connectTestNats, expectEventually, TEST_NATS_URL } from '@convergio/testing';
import { BusClient } from './bus-client.js';
import { BusController } from './bus-error.filter.js';
import { createEnvelope } from './envelope-factory.js';
import { MessagingModule, connectBus } from './messaging.module.js';
import { natsEventSubject, natsSubject, streamName } from './bus-names.js';

const SERVICE = 'answerer';

@Injectable()
class Asked {
  pluginIds: string[] = [];
}

@BusController()
class Answers {
  constructor(private readonly asked: Asked) {}

  @MessagePattern(RequestSubjects.RegistryGetPlugin)
  getPlugin(@Payload() req: RequestEnvelope<'registry.plugins.get'>) {
    this.asked.pluginIds.push(req.data.plugin_id);
    return {
      plugin_id: req.data.plugin_id,
      name: 'Test',
      owner: 'acme',
      serving_version: null,
      versions: [],
      next_cursor: null,
    };
  }
}

describe('a service answers requests, never stored messages pushed onto its request subject', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  let app: INestApplication;
  let nc: NatsConnection;

  beforeAll(async () => {
    @Module({
      imports: [
        MessagingModule.forRoot({ kind: 'nats', url: TEST_NATS_URL, service: SERVICE, prefix }),
        MessagingModule.forService(SERVICE),
      ],
      controllers: [Answers],
      providers: [Asked],
    })
    class AnswerModule {}
    app = await NestFactory.create(AnswerModule, new FastifyAdapter(), { logger: false });
    await connectBus(app);
    await app.init();
    nc = await connectTestNats();
  });
  afterAll(async () => {
    await app?.close();
    await (await jetstreamManager(nc)).streams.delete(streamName(prefix));
    await nc.close();
  });

  it('ignores a forged request a push consumer delivers, and still answers a real one', async () => {
    // What a service allowed to publish one event subject and to create consumers can do: store
    // a request body under its own subject, then have JetStream deliver it to the request subject.
    const forged = createEnvelope(
      RequestSubjects.RegistryGetPlugin,
      { plugin_id: 'forged.request' },
      'executor',
    );
    const loaded = natsEventSubject(prefix, EventSubjects.PluginLoaded, 'executor');
    await jetstream(nc).publish(loaded, JSON.stringify(forged));
    const jsm = await jetstreamManager(nc);
    const consumer = `push_${randomUUID().slice(0, 8)}`;
    await jsm.consumers.add(streamName(prefix), {
      name: consumer,
      filter_subject: loaded,
      deliver_subject: natsSubject(prefix, RequestSubjects.RegistryGetPlugin),
      deliver_group: SERVICE,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(30_000),
      deliver_policy: DeliverPolicy.All,
    });
    // Delivered to the service's subscription (the server counts it), and never handled.
    await expectEventually(async () =>
      expect((await jsm.consumers.info(streamName(prefix), consumer)).delivered.stream_seq).toBe(1),
    );
    const reply = await app
      .get(BusClient)
      .request(RequestSubjects.RegistryGetPlugin, { plugin_id: 'real.request' });
    expect(reply.plugin_id).toBe('real.request');
    expect(app.get(Asked).pluginIds).toEqual(['real.request']);
  });
});

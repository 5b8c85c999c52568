import { createHash, randomUUID } from 'node:crypto';
import { Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { connectTestNats, expectEventually, TEST_NATS_URL } from '@convergio/testing';
import { BusClient } from './bus-client.js';
import { BusController } from './bus-error.filter.js';
import { createEnvelope, eventIdKey } from './envelope-factory.js';
import { MessagingModule, connectBus } from './messaging.module.js';
import { natsEventSubject, natsSubject, streamName } from './bus-names.js';
import { provisionEventStream } from './event-stream.js';
import { messageContext, type MessageContext } from './message-context.js';
import { BusContext } from './bus-server.js';
import { BusEvent } from './bus-event.decorator.js';

/** The publisher of plugin.unloaded (the only source consumers accept for it). */
const SERVICE = 'executor';

/** An executor-like service: unloads what is revoked, and announces each plugin it is asked about. */
@BusController()
class Reactor {
  constructor(private readonly bus: BusClient) {}

  @BusEvent(EventSubjects.PluginRevoked)
  async revoked(@Payload() e: EventEnvelope<'plugin.revoked'>, @Ctx() ctx: BusContext) {
    await this.unloaded(e.data.plugin_id, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.RegistryGetPlugin)
  async get(@Payload() req: RequestEnvelope<'registry.plugins.get'>, @Ctx() ctx: BusContext) {
    await this.unloaded(req.data.plugin_id, ctx.getMessageContext());
    return {
      plugin_id: req.data.plugin_id,
      name: 'T',
      owner: 'o',
      serving_version: null,
      versions: [],
      next_cursor: null,
    };
  }

  private unloaded(pluginId: string, context: MessageContext) {
    return this.bus.publish(
      EventSubjects.PluginUnloaded,
      { plugin_id: pluginId, version: '1.0.0', instance: 'i-1', reason: 'revoked' },
      context,
    );
  }
}

/**
 * JetStream drops a message whose id it saw in the last ten minutes, on any subject: a bus
 * client that could compute the id of another service's coming event and publish it first
 * would have that event silently dropped.
 */
describe('event ids a service derives cannot be taken ahead by another bus client', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  const stream = streamName(prefix);
  let app: INestApplication;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    nc = await connectTestNats();
    jsm = await jetstreamManager(nc);
    // A service with credentials only checks the stream: the provisioning step defines it.
    await provisionEventStream(nc, prefix);
    @Module({
      imports: [
        MessagingModule.forRoot({
          kind: 'nats',
          url: TEST_NATS_URL,
          service: SERVICE,
          prefix,
          // The test server takes any login; what matters is that only the executor knows it.
          credentials: { user: SERVICE, password: 'executor-secret' },
        }),
        MessagingModule.forService(SERVICE),
      ],
      controllers: [Reactor],
    })
    class ReactorModule {}
    app = await NestFactory.create(ReactorModule, new FastifyAdapter(), { logger: false });
    await connectBus(app);
    await app.init();
  });
  afterAll(async () => {
    await app?.close();
    await jsm?.streams.delete(stream);
    await nc?.close();
  });

  /** The plugin ids of the plugin.unloaded events the stream holds. */
  async function unloadedPlugins(): Promise<string[]> {
    const info = await jsm.streams.info(stream, { subjects_filter: '>' });
    const ids: string[] = [];
    for (let seq = 1; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
      if (m?.subject === natsEventSubject(prefix, EventSubjects.PluginUnloaded, SERVICE))
        ids.push(m.json<EventEnvelope<'plugin.unloaded'>>().data.plugin_id);
    }
    return ids;
  }

  function revocation(pluginId: string) {
    return createEnvelope(
      EventSubjects.PluginRevoked,
      { plugin_id: pluginId, version: '1.0.0', revoked_by: 'k1' },
      'registry',
    );
  }

  it("stores the executor's event though an attacker published every id it could compute first", async () => {
    const js = jetstream(nc);
    const revoked = revocation('victim.plugin');
    const nextSeq = (await jsm.streams.info(stream)).state.last_seq + 1;
    // The ids an attacker can compute: from the event id (the earlier scheme), and from the
    // delivery it will have, with the key of a service that has no bus secret.
    const guesses = [
      unkeyedId(`${revoked.id}\nplugin.unloaded\n0`),
      createEnvelope(
        'plugin.unloaded',
        {},
        SERVICE,
        messageContext('c', undefined, {
          delivery: `${stream}:${nextSeq + 2}`,
          key: eventIdKey(SERVICE, undefined),
        }),
      ).id,
    ];
    for (const id of guesses)
      await js.publish(natsEventSubject(prefix, EventSubjects.PluginLoaded, SERVICE), '{}', {
        msgID: id,
      });
    await js.publish(
      natsEventSubject(prefix, EventSubjects.PluginRevoked, 'registry'),
      JSON.stringify(revoked),
      { msgID: revoked.id },
    );
    await expectEventually(async () => expect(await unloadedPlugins()).toContain('victim.plugin'));
  });

  it('publishes the events of each request, though two requests carry the same envelope id', async () => {
    const id = randomUUID();
    for (const pluginId of ['first.plugin', 'second.plugin']) {
      const request = {
        ...createEnvelope(RequestSubjects.RegistryGetPlugin, { plugin_id: pluginId }, 'gateway'),
        id,
      };
      await nc.request(
        natsSubject(prefix, RequestSubjects.RegistryGetPlugin),
        JSON.stringify(request),
      );
    }
    const stored = await unloadedPlugins();
    expect(stored).toContain('first.plugin');
    expect(stored).toContain('second.plugin');
  });
});

/** The id the earlier scheme derived: a plain hash anybody can compute. */
function unkeyedId(input: string): string {
  const h = createHash('sha256').update(input).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

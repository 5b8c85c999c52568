import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  DomainError,
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusClient } from './bus-client.js';
import { BusController } from './bus-error.filter.js';
import { BusEvent } from './bus-event.decorator.js';
import type { BusContext } from './bus-server.js';
import { messageContext } from './message-context.js';
import { MessagingModule, connectBus, type MessagingOptions } from './messaging.module.js';
import { natsEventSubject, natsSubject, streamName } from './bus-names.js';
import { jetstreamManager } from '@nats-io/jetstream';
import { connectTestNats, expectEventually, TEST_NATS_URL } from '@convergio/testing';

/** The publisher of plugin.revoked (the only source consumers accept for it), consuming it here. */
const SERVICE = 'registry';

@Injectable()
class Seen {
  revoked: EventEnvelope<'plugin.revoked'>[] = [];
  /** The trace id of each handler's context, by the handler: `request`, `event`. */
  traces: { handler: string; traceId?: string }[] = [];
  failuresLeft = 0;
}

@BusController()
class TestHandlers {
  constructor(
    private readonly seen: Seen,
    private readonly bus: BusClient,
  ) {}

  @BusEvent(EventSubjects.PluginRevoked)
  onRevoked(@Payload() event: EventEnvelope<'plugin.revoked'>, @Ctx() ctx: BusContext) {
    if (this.seen.failuresLeft > 0) {
      this.seen.failuresLeft--;
      throw new Error('transient failure');
    }
    this.seen.revoked.push(event);
    this.seen.traces.push({ handler: 'event', traceId: traceIdIn(ctx) });
  }

  @MessagePattern(RequestSubjects.RegistryGetPlugin)
  async getPlugin(@Payload() req: RequestEnvelope<'registry.plugins.get'>, @Ctx() ctx: BusContext) {
    this.seen.traces.push({ handler: 'request', traceId: traceIdIn(ctx) });
    if (req.data.plugin_id === 'missing.plugin')
      throw new DomainError('not_found', 'no such plugin');
    if (req.data.plugin_id === 'traced.plugin')
      await this.bus.publish(
        EventSubjects.PluginRevoked,
        { plugin_id: 'traced.plugin', version: '1.0.0', revoked_by: 'admin' },
        ctx.getMessageContext(),
      );
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

const traceIdIn = (ctx: BusContext) => trace.getSpanContext(ctx.getMessageContext().trace)?.traceId;

async function startApp(options: MessagingOptions): Promise<INestApplication> {
  @Module({
    imports: [MessagingModule.forRoot(options), MessagingModule.forService(SERVICE)],
    controllers: [TestHandlers],
    providers: [Seen],
  })
  class TestModule {}
  const app = await NestFactory.create(TestModule, new FastifyAdapter(), { logger: false });
  await connectBus(app);
  await app.init();
  return app;
}

async function deleteStream(prefix: string): Promise<void> {
  const nc = await connectTestNats();
  await (await jetstreamManager(nc)).streams.delete(streamName(prefix));
  await nc.close();
}

describe.each<[string, () => MessagingOptions]>([
  [
    'NATS JetStream',
    () => ({
      kind: 'nats',
      url: TEST_NATS_URL,
      service: SERVICE,
      prefix: `test_${randomUUID().slice(0, 8)}`,
    }),
  ],
  ['in-process', () => ({ kind: 'in-process' })],
])('messaging over %s', (_name, makeOptions) => {
  let app: INestApplication;
  let options: MessagingOptions;
  let bus: BusClient;
  let seen: Seen;

  beforeAll(async () => {
    // As initTelemetry sets it in every service: NATS headers carry the trace in W3C form.
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    options = makeOptions();
    if (options.kind === 'nats') await (await connectTestNats()).close();
    app = await startApp(options);
    bus = app.get(BusClient);
    seen = app.get(Seen);
  });
  afterAll(async () => {
    await app?.close();
    if (options.kind === 'nats') await deleteStream(options.prefix);
  });
  beforeEach(() => {
    seen.revoked = [];
    seen.traces = [];
    seen.failuresLeft = 0;
  });

  it("carries the caller's trace and correlation to the handler, and on to what it publishes", async () => {
    const traceId = randomUUID().replaceAll('-', '');
    const caller = messageContext(
      'corr-traced',
      trace.setSpanContext(ROOT_CONTEXT, {
        traceId,
        spanId: '00f067aa0ba902b7',
        traceFlags: TraceFlags.SAMPLED,
      }),
    );
    await bus.request(
      RequestSubjects.RegistryGetPlugin,
      { plugin_id: 'traced.plugin' },
      { context: caller },
    );
    await expectEventually(() => expect(seen.revoked).toHaveLength(1));
    expect(seen.traces).toEqual([
      { handler: 'request', traceId },
      { handler: 'event', traceId },
    ]);
    expect(seen.revoked[0].correlation_id).toBe('corr-traced');

    // Without a context: no trace anywhere, and each envelope its own correlation.
    seen.traces = [];
    await bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: 'a.b' });
    expect(seen.traces).toEqual([{ handler: 'request', traceId: undefined }]);
  });

  it('delivers a published event to its handler with a valid envelope', async () => {
    const id = await bus.publish(
      EventSubjects.PluginRevoked,
      { plugin_id: 'a.b', version: '1.0.0', revoked_by: 'admin' },
      messageContext('corr-1'),
    );
    await expectEventually(() => expect(seen.revoked.map((e) => e.id)).toEqual([id]));
    expect(seen.revoked[0]).toMatchObject({
      type: 'plugin.revoked',
      source: SERVICE,
      correlation_id: 'corr-1',
      data: { plugin_id: 'a.b' },
    });
  });

  it('redelivers an event whose handler failed', async () => {
    seen.failuresLeft = 1;
    const id = await bus.publish(EventSubjects.PluginRevoked, {
      plugin_id: 'a.c',
      version: '1.0.0',
      revoked_by: 'admin',
    });
    await expectEventually(() => expect(seen.revoked.map((e) => e.id)).toEqual([id]));
    expect(seen.failuresLeft).toBe(0);
  });

  it('hands every event published after a watch started to the watch, in order, until it stops', async () => {
    const revoke = (version: string) =>
      bus.publish(EventSubjects.PluginRevoked, { plugin_id: 'w.one', version, revoked_by: 'k' });
    await revoke('0.0.1'); // before the watch: not seen
    const watched: string[] = [];
    const stop = await bus.watch([EventSubjects.PluginRevoked], (e) =>
      watched.push((e.data as { version: string }).version),
    );
    for (const v of ['1.0.0', '2.0.0', '3.0.0']) await revoke(v);
    await expectEventually(() => expect(watched).toEqual(['1.0.0', '2.0.0', '3.0.0']));
    await stop();
    await revoke('4.0.0');
    await expectEventually(() =>
      expect(seen.revoked.map((e) => e.data.version)).toContain('4.0.0'),
    );
    expect(watched).toEqual(['1.0.0', '2.0.0', '3.0.0']);
  });

  it('refuses to publish an invalid payload', async () => {
    await expect(
      bus.publish(EventSubjects.PluginRevoked, { plugin_id: 'a.b' } as never),
    ).rejects.toMatchObject({ code: 'validation_failed' });
  });

  it('answers a request and carries a coded error back', async () => {
    await expect(
      bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: 'x.y' }),
    ).resolves.toEqual({
      plugin_id: 'x.y',
      name: 'Test',
      owner: 'acme',
      serving_version: null,
      versions: [],
      next_cursor: null,
    });
    await expect(
      bus.request(RequestSubjects.RegistryGetPlugin, { plugin_id: 'missing.plugin' }),
    ).rejects.toMatchObject({ code: 'not_found', message: 'no such plugin' });
  });

  it('says unavailable when no service answers a subject', async () => {
    await expect(
      bus.request(RequestSubjects.AuditQuery, { limit: 1 }, { timeoutMs: 500 }),
    ).rejects.toMatchObject({ code: 'unavailable' });
  });
});

describe('JetStream specifics', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  let app: INestApplication;
  let seen: Seen;

  beforeAll(async () => {
    app = await startApp({ kind: 'nats', url: TEST_NATS_URL, service: SERVICE, prefix });
    seen = app.get(Seen);
  });
  afterAll(async () => {
    await app?.close();
    await deleteStream(prefix);
  });

  it('hands each event to the watch of every replica, while the durable consumer hands it to one', async () => {
    const replica = await startApp({ kind: 'nats', url: TEST_NATS_URL, service: SERVICE, prefix });
    try {
      const watched: string[][] = [[], []];
      const stops = await Promise.all(
        [app, replica].map((a, i) =>
          a.get(BusClient).watch([EventSubjects.PluginRevoked], (e) => watched[i].push(e.id)),
        ),
      );
      const replicaSeen = replica.get(Seen);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++)
        ids.push(
          await app.get(BusClient).publish(EventSubjects.PluginRevoked, {
            plugin_id: 'w.two',
            version: `${i}.0.0`,
            revoked_by: 'k',
          }),
        );
      await expectEventually(() => expect(watched).toEqual([ids, ids]));
      await expectEventually(() =>
        expect(
          [...seen.revoked, ...replicaSeen.revoked].filter((e) => ids.includes(e.id)),
        ).toHaveLength(ids.length),
      );
      for (const stop of stops) await stop();
    } finally {
      await replica.close();
      seen.revoked = [];
    }
  });

  it('de-duplicates a message id and never hands an invalid message to a handler', async () => {
    const nc = await connectTestNats();
    const { jetstream } = await import('@nats-io/jetstream');
    const js = jetstream(nc);
    const subject = natsEventSubject(prefix, EventSubjects.PluginRevoked, SERVICE);
    const good = {
      id: randomUUID(),
      type: 'plugin.revoked',
      version: 1,
      occurred_at: new Date().toISOString(),
      source: SERVICE,
      correlation_id: 'c',
      data: { plugin_id: 'd.e', version: '1', revoked_by: 'k' },
    };
    await js.publish(subject, JSON.stringify({ ...good, data: { plugin_id: 'BAD' } }), {
      msgID: randomUUID(),
    });
    await js.publish(subject, 'not json', { msgID: randomUUID() });
    await js.publish(subject, JSON.stringify(good), { msgID: good.id });
    const again = await js.publish(subject, JSON.stringify(good), { msgID: good.id });
    expect(again.duplicate).toBe(true);
    await expectEventually(() => expect(seen.revoked.map((e) => e.id)).toEqual([good.id]));
    await nc.close();
  });

  it('says unavailable when a service takes a request and does not answer in time', async () => {
    const nc = await connectTestNats();
    const silent = nc.subscribe(natsSubject(prefix, RequestSubjects.AuditQuery), {
      queue: 'audit',
      callback: () => undefined,
    });
    await nc.flush();
    try {
      await expect(
        app.get(BusClient).request(RequestSubjects.AuditQuery, { limit: 1 }, { timeoutMs: 300 }),
      ).rejects.toMatchObject({
        code: 'unavailable',
        message: 'the audit service did not answer in time; retry later',
      });
    } finally {
      silent.unsubscribe();
      await nc.close();
    }
  });
});

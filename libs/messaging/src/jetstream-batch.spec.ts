import { randomUUID } from 'node:crypto';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EventPattern, Payload } from '@nestjs/microservices';
import { jetstreamManager } from '@nats-io/jetstream';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import { connectTestNats, expectEventually, TEST_NATS_URL } from '@convergio/testing';
import { BusClient } from './bus-client.js';
import { BusController } from './bus-error.filter.js';
import { MessagingModule, connectBus } from './messaging.module.js';
import { streamName } from './bus-names.js';

const BATCH = 4;
/** The publisher of plugin.revoked (the only source consumers accept for it), consuming it here. */
const SERVICE = 'registry';

interface Held {
  id: string;
  settle: (error?: Error) => void;
}

/** Holds every event until the test settles it. */
@Injectable()
class Gate {
  held: Held[] = [];
  handled: string[] = [];
}

@BusController()
class HoldingHandler {
  constructor(private readonly gate: Gate) {}

  @EventPattern(EventSubjects.PluginRevoked)
  onRevoked(@Payload() event: EventEnvelope<'plugin.revoked'>) {
    return new Promise<void>((resolve, reject) =>
      this.gate.held.push({
        id: event.id,
        settle: (error) => {
          this.gate.handled.push(event.id);
          if (error) reject(error);
          else resolve();
        },
      }),
    );
  }
}

describe('a JetStream consumer with eventBatch', () => {
  const prefix = `test_${randomUUID().slice(0, 8)}`;
  let app: INestApplication;
  let gate: Gate;

  beforeAll(async () => {
    @Module({
      imports: [
        MessagingModule.forRoot({
          kind: 'nats',
          url: TEST_NATS_URL,
          service: SERVICE,
          prefix,
          eventBatch: BATCH,
        }),
        MessagingModule.forService(SERVICE),
      ],
      controllers: [HoldingHandler],
      providers: [Gate],
    })
    class BatchModule {}
    app = await NestFactory.create(BatchModule, new FastifyAdapter(), { logger: false });
    await connectBus(app);
    await app.init();
    gate = app.get(Gate);
  });
  afterAll(async () => {
    await app?.close();
    const nc = await connectTestNats();
    await (await jetstreamManager(nc)).streams.delete(streamName(prefix));
    await nc.close();
  });

  const consumerState = async () => {
    const nc = await connectTestNats();
    try {
      const info = await (await jetstreamManager(nc)).consumers.info(streamName(prefix), SERVICE);
      return { pending: info.num_pending, unacked: info.num_ack_pending };
    } finally {
      await nc.close();
    }
  };

  it('hands up to eventBatch events to handlers at once and settles each by its own outcome', async () => {
    const bus = app.get(BusClient);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++)
      ids.push(
        await bus.publish(EventSubjects.PluginRevoked, {
          plugin_id: 'a.batch',
          version: `1.0.${i}`,
          revoked_by: 'k',
        }),
      );
    await expectEventually(() => expect(gate.held).toHaveLength(BATCH));
    // Settling one lets exactly one more in: never more than BATCH at once.
    gate.held.shift()!.settle();
    await expectEventually(() => expect(gate.held).toHaveLength(BATCH));
    const failed = gate.held.shift()!;
    failed.settle(new Error('transient'));
    await expectEventually(() => expect(gate.held).toHaveLength(BATCH));
    // Everything else succeeds; the failed one comes back (after its retry delay) and succeeds.
    await expectEventually(() => {
      for (const held of gate.held.splice(0)) held.settle();
      expect(gate.handled.filter((id) => id === failed.id)).toHaveLength(2);
    });
    expect(new Set(gate.handled)).toEqual(new Set(ids));
    expect(gate.handled).toHaveLength(7);
    await expectEventually(async () =>
      expect(await consumerState()).toEqual({ pending: 0, unacked: 0 }),
    );
  });
});

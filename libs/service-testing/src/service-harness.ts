import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { DataSource } from 'typeorm';
import { DataSource as DataSourceToken } from 'typeorm';
import {
  ALL_EVENT_SUBJECTS,
  EVENT_PUBLISHERS,
  validateEventEnvelope,
  type EventEnvelope,
  type EventPayloadMap,
  type EventSubject,
} from '@convergio/contracts';
import {
  BusServer,
  connectBus,
  createEnvelope,
  type MessageContext,
  InProcessBusClient,
  InProcessHub,
  MessagingModule,
  type EventOutcome,
} from '@convergio/messaging';
import {
  PersistenceModule,
  type EntityDefinition,
  type MigrationDefinition,
} from '@convergio/persistence';
import { ARTIFACT_STORE, ArtifactStoreModule, type ArtifactStore } from '@convergio/artifacts';
import { createTestDatabase, expectEventually } from '@convergio/testing';

/** The tables and feature module of the service under test. */
export interface HarnessOptions {
  schema: string;
  entities: readonly EntityDefinition[];
  migrations: readonly MigrationDefinition[];
  feature: Type | DynamicModule;
}

/** One service's feature module on a throwaway PostgreSQL database and an in-process bus the test drives. */
export interface ServiceHarness {
  app: INestApplication;
  /** Publishes and requests as another service would. */
  bus: InProcessBusClient;
  artifacts: ArtifactStore;
  dataSource: DataSource;
  /** Every event published on the bus, in order. */
  events: EventEnvelope[];
  /** Waits until an event of `subject` matching `match` was published, and returns it. */
  waitFor<S extends EventSubject>(
    subject: S,
    match?: (e: EventEnvelope<S>) => boolean,
  ): Promise<EventEnvelope<S>>;
  /** Hands an already published event to the service's handlers again, as a broker redelivery would. */
  redeliver(eventId: string): Promise<EventOutcome>;
  close(): Promise<void>;
}

/** Starts a service's feature module against real PostgreSQL, with the bus in process. */
export async function startServiceHarness(o: HarnessOptions): Promise<ServiceHarness> {
  const db = await createTestDatabase('svc');
  const artifactDir = await mkdtemp(join(tmpdir(), 'cvg-svc-artifacts-'));
  const hub = new InProcessHub();
  const events: EventEnvelope[] = [];
  for (const subject of ALL_EVENT_SUBJECTS) {
    hub.onEvent(subject, (raw) => {
      events.push(raw as EventEnvelope);
      return Promise.resolve({ kind: 'done' });
    });
  }

  @Module({
    imports: [
      MessagingModule.forRoot({ kind: 'in-process', hub }),
      PersistenceModule.forRoot({
        url: db.url,
        schema: o.schema,
        entities: o.entities,
        migrations: o.migrations,
        retryAttempts: 1,
      }),
      ArtifactStoreModule.forRoot(artifactDir),
      o.feature,
    ],
  })
  class HarnessModule {}

  const app = await NestFactory.create(HarnessModule, new FastifyAdapter(), { logger: ['error'] });
  await connectBus(app);
  await app.init();

  return {
    app,
    bus: new DriverBusClient(hub, 'test-driver'),
    artifacts: app.get<ArtifactStore>(ARTIFACT_STORE),
    dataSource: app.get(DataSourceToken),
    events,
    waitFor: <S extends EventSubject>(
      subject: S,
      match: (e: EventEnvelope<S>) => boolean = () => true,
    ) =>
      expectEventually(() => {
        const found = events.find((e) => e.type === subject && match(e as EventEnvelope<S>));
        if (!found)
          throw new Error(
            `no ${subject} event yet; seen: ${events.map((e) => e.type).join(', ') || 'none'}`,
          );
        return found as EventEnvelope<S>;
      }),
    redeliver: (eventId: string) => {
      const event = events.find((e) => e.id === eventId);
      if (!event) throw new Error(`event ${eventId} was never published`);
      return app.get(BusServer).dispatchEvent(event.type, structuredClone(event));
    },
    close: async () => {
      await app.close();
      await db.drop();
      await rm(artifactDir, { recursive: true, force: true });
    },
  };
}

/**
 * The harness's own bus client: the other services, as the feature under test meets them. Each
 * event goes out under its type's (first) publisher, the only source a consumer accepts.
 */
class DriverBusClient extends InProcessBusClient {
  override createEvent<S extends EventSubject>(
    subject: S,
    data: EventPayloadMap[S],
    context?: MessageContext,
  ): EventEnvelope {
    const publisher = EVENT_PUBLISHERS[subject][0];
    return validateEventEnvelope(subject, createEnvelope(subject, data, publisher, context));
  }
}

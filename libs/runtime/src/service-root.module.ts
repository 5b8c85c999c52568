import { Module, type DynamicModule, type Type } from '@nestjs/common';
import { MessagingModule } from '@convergio/messaging';
import {
  PersistenceModule,
  type EntityDefinition,
  type MigrationDefinition,
} from '@convergio/persistence';
import { ArtifactStoreModule } from '@convergio/artifacts';
import { natsCredentials, type NatsLoginEnv } from './nats-credentials.js';
import { HealthController } from './health.controller.js';
import { MetricsController } from './metrics.controller.js';

/** The tables a service owns. */
export interface ServicePersistence {
  schema: string;
  entities: readonly EntityDefinition[];
  migrations: readonly MigrationDefinition[];
  /** Set for a service whose login may not migrate its schema: the deploy step that does. */
  migrationStep?: string;
}

/** Everything a distributed service process needs around its feature module. */
export interface ServiceRootOptions {
  service: string;
  feature: Type | DynamicModule;
  persistence: ServicePersistence;
  env: NatsLoginEnv & {
    NATS_URL: string;
    BUS_PREFIX: string;
    DATABASE_URL: string;
    ARTIFACT_DIR?: string;
    /** Set for the services with an outbox ({@link OutboxEnv}). */
    OUTBOX_MAX_ATTEMPTS?: number;
  };
  /** Events the service's consumer handles at once (default 1: one at a time, in stream order). */
  eventBatch?: number;
}

/** Root module of one service running as its own process (distributed mode). */
@Module({})
export class ServiceRootModule {
  static forRoot(o: ServiceRootOptions): DynamicModule {
    return {
      module: ServiceRootModule,
      imports: [
        MessagingModule.forRoot({
          kind: 'nats',
          url: o.env.NATS_URL,
          prefix: o.env.BUS_PREFIX,
          service: o.service,
          eventBatch: o.eventBatch,
          credentials: natsCredentials(o.env, o.service),
          outbox: o.env.OUTBOX_MAX_ATTEMPTS
            ? { maxAttempts: o.env.OUTBOX_MAX_ATTEMPTS }
            : undefined,
        }),
        MessagingModule.forService(o.service),
        PersistenceModule.forRoot({
          url: o.env.DATABASE_URL,
          ...o.persistence,
        }),
        ...(o.env.ARTIFACT_DIR ? [ArtifactStoreModule.forRoot(o.env.ARTIFACT_DIR)] : []),
        o.feature,
      ],
      controllers: [HealthController, MetricsController],
    };
  }
}

import { Module, type DynamicModule } from '@nestjs/common';
import type { Static } from '@sinclair/typebox';
import { join } from 'node:path';
import { MessagingModule } from '@convergio/messaging';
import { PersistenceModule } from '@convergio/persistence';
import { ArtifactStoreModule } from '@convergio/artifacts';
import {
  HealthController,
  inputSchemaBoundsOf,
  MetricsController,
  type PlatformGrants,
  type ServicePersistence,
} from '@convergio/runtime';
import { approvalPersistence, approvalSettings, ApprovalModule } from '@convergio/approval';
import { auditPersistence, AuditModule } from '@convergio/audit';
import { executorPersistence, executorSettings, ExecutorModule } from '@convergio/executor';
import { gatewayPersistence, GatewayModule } from '@convergio/gateway';
import { registryPersistence, RegistryModule } from '@convergio/registry';
import {
  secretBrokerPersistence,
  secretBrokerSettings,
  SecretBrokerModule,
} from '@convergio/secret-broker';
import {
  releaseKeyOf,
  verificationPersistence,
  VerificationModule,
  type SbomPolicy,
} from '@convergio/verification';
import { adminKeyFile } from './admin-key-file.js';
import type { StandaloneConfig } from './config/standalone.config.js';

const persistence: ServicePersistence[] = [
  gatewayPersistence,
  registryPersistence,
  verificationPersistence,
  approvalPersistence,
  executorPersistence,
  auditPersistence,
  secretBrokerPersistence,
];

/**
 * Every service's feature module in one process: the in-process bus and one
 * embedded PostgreSQL connection (it serves one at a time) holding every schema.
 */
@Module({})
export class StandaloneModule {
  static forRoot(
    env: Static<typeof StandaloneConfig>,
    databaseUrl: string,
    grants: PlatformGrants,
    sbom: SbomPolicy,
  ): DynamicModule {
    return {
      module: StandaloneModule,
      imports: [
        MessagingModule.forRoot({
          kind: 'in-process',
          outbox: { maxAttempts: env.OUTBOX_MAX_ATTEMPTS },
        }),
        MessagingModule.forService('standalone'),
        PersistenceModule.forRoot({
          url: databaseUrl,
          schema: 'standalone',
          poolSize: 1,
          entities: persistence.flatMap((p) => p.entities),
          migrations: persistence.flatMap((p) => p.migrations),
        }),
        ArtifactStoreModule.forRoot(join(env.DATA_DIR, 'artifacts')),
        GatewayModule.register({ ...env, ADMIN_KEY_FILE: adminKeyFile(env) }, { replicas: 'one' }),
        RegistryModule,
        VerificationModule.register({
          coreVersion: env.CORE_VERSION,
          grants,
          releaseKey: releaseKeyOf(env),
          sbom,
          inputSchemaBounds: inputSchemaBoundsOf(env),
        }),
        ApprovalModule.register(approvalSettings(env)),
        ExecutorModule.register(executorSettings(env, grants)),
        AuditModule,
        SecretBrokerModule.register(secretBrokerSettings(env)),
      ],
      controllers: [HealthController, MetricsController],
    };
  }
}

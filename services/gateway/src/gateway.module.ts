import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { fitsBusProvider, MessagingModule, outboxProviders } from '@convergio/messaging';
import { ADMIN_KEY_SETTINGS, AdminKeyBootstrap } from './auth/admin-key.bootstrap.js';
import { ApiKeyRotationService, KEY_ROTATION_SETTINGS } from './auth/api-key-rotation.service.js';
import { ApiKeyService } from './auth/api-key.service.js';
import { ApiKeysController } from './auth/api-keys.controller.js';
import { AuthGuard } from './auth/auth.guard.js';
import { RequestAuthentication } from './auth/request-authentication.js';
import { AuthFailureLimiter, trustedProxiesOf } from './auth/auth-failure-limiter.js';
import {
  KeyRevocations,
  ListeningKeyRevocations,
  LocalKeyRevocations,
} from './auth/key-revocations.js';
import { ApprovalsController } from './approvals/approvals.controller.js';
import { AuditController } from './audit/audit.controller.js';
import { AuditExport } from './audit/audit-export.js';
import { AuditVerify } from './audit/audit-verify.js';
import {
  GATEWAY_LIMITS,
  gatewayBusBounds,
  GatewayLimitsEnv,
  type GatewayLimits,
  type GatewaySettings,
} from './config/gateway.config.js';
import { GATEWAY_SCHEMA, GATEWAY_SERVICE } from './gateway.schema.js';
import { HttpErrorFilter } from './http/http-error.filter.js';
import { UndeclaredInputGuard } from './http/undeclared-input.guard.js';
import { ExecutorTimeouts } from './plugins/executor-timeouts.js';
import { PluginsController } from './plugins/plugins.controller.js';
import { SignersController } from './signers/signers.controller.js';
import { SecretsController } from './secrets/secrets.controller.js';
import { MAX_CONCURRENT_SUBMISSIONS, SubmissionUpload } from './plugins/submission-upload.js';
import { SubmissionService } from './plugins/submission.service.js';
import { ToolsController } from './plugins/tools.controller.js';

/** The REST API (its OpenAPI document is served at /docs); every route needs a key unless marked public. */
@Module({})
export class GatewayModule {
  /**
   * The gateway of `env` (a whole environment may be passed: only the gateway's variables are
   * read). `replicas: 'one'` when no other gateway shares its database (standalone mode): its
   * key revocations are then all its own, and it listens for none. Throws ConfigError naming
   * GATEWAY_TRUSTED_PROXIES when an entry of it is not an address or a CIDR range.
   */
  static register(
    env: GatewaySettings,
    { replicas = 'many' }: { replicas?: 'one' | 'many' } = {},
  ): DynamicModule {
    const { CONVERGIO_ADMIN_KEY: adminKey, ADMIN_KEY_FILE: adminKeyFile } = env;
    const limits = Object.fromEntries(
      Object.keys(GatewayLimitsEnv).map((name) => [name, env[name as keyof GatewayLimits]]),
    ) as GatewayLimits;
    const failures = new AuthFailureLimiter({
      burst: env.GATEWAY_AUTH_FAILURE_BURST,
      perMinute: env.GATEWAY_AUTH_FAILURES_PER_MINUTE,
      maxAddresses: env.GATEWAY_AUTH_FAILURE_ADDRESSES,
      trustedProxies: trustedProxiesOf(env.GATEWAY_TRUSTED_PROXIES),
    });
    return {
      module: GatewayModule,
      imports: [MessagingModule.forService(GATEWAY_SERVICE)],
      controllers: [
        PluginsController,
        ToolsController,
        ApprovalsController,
        AuditController,
        ApiKeysController,
        SignersController,
        SecretsController,
      ],
      providers: [
        ApiKeyService,
        RequestAuthentication,
        ApiKeyRotationService,
        ...outboxProviders(GATEWAY_SCHEMA),
        {
          provide: KEY_ROTATION_SETTINGS,
          useValue: { graceMs: env.API_KEY_ROTATION_GRACE_SECONDS * 1000 },
        },
        {
          provide: KeyRevocations,
          useClass: replicas === 'one' ? LocalKeyRevocations : ListeningKeyRevocations,
        },
        SubmissionService,
        SubmissionUpload,
        AuditExport,
        AuditVerify,
        ExecutorTimeouts,
        AdminKeyBootstrap,
        { provide: ADMIN_KEY_SETTINGS, useValue: { adminKey, adminKeyFile } },
        { provide: GATEWAY_LIMITS, useValue: limits },
        { provide: AuthFailureLimiter, useValue: failures },
        { provide: MAX_CONCURRENT_SUBMISSIONS, useValue: env.GATEWAY_MAX_CONCURRENT_SUBMISSIONS },
        // Refuses, at boot, an invoke or manifest limit the bus cannot carry.
        fitsBusProvider(gatewayBusBounds(limits)),
        // In this order: a request is authenticated before its query is looked at. A body is
        // refused earlier, as it arrives, when its route takes none or another (refuseOtherBodies),
        // and a request with a body is authenticated before it is read (authenticateBeforeBody).
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_GUARD, useClass: UndeclaredInputGuard },
        { provide: APP_FILTER, useClass: HttpErrorFilter },
      ],
    };
  }
}

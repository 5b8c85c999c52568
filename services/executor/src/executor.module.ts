import { Module, type DynamicModule } from '@nestjs/common';
import { fitsBusProvider, MessagingModule, outboxProviders } from '@convergio/messaging';
import { policyLoadedProvider } from '@convergio/runtime';
import { VersionTable } from './versions/version-table.js';
import { LifecycleService } from './versions/lifecycle.service.js';
import { PolicyGate } from './versions/policy-gate.js';
import { RunnableVersions } from './versions/runnable-versions.js';
import { ExecutorHandler } from './executor.handler.js';
import { EXECUTOR_SCHEMA, EXECUTOR_SERVICE } from './executor.schema.js';
import { outputBusBound, type ExecutorSettings } from './config/executor.config.js';
import { EXECUTOR_SETTINGS } from './invocations/executor-limits.js';
import { CallMetrics } from './metrics/call-metrics.js';
import { InvocationService } from './invocations/invocation.service.js';
import { PluginHost } from './invocations/plugin-host.js';
import { PluginEvents } from './lifecycle/plugin-events.js';
import { ToolsService } from './invocations/tools.service.js';
import { SecretAccess } from './secrets/secret-access.js';
import { TelemetryMetrics } from './metrics/telemetry-metrics.js';

/** The executor's features under the operator's limits and policy. */
@Module({})
export class ExecutorModule {
  static register(settings: ExecutorSettings): DynamicModule {
    return {
      module: ExecutorModule,
      imports: [MessagingModule.forService(EXECUTOR_SERVICE)],
      controllers: [ExecutorHandler],
      providers: [
        VersionTable,
        RunnableVersions,
        LifecycleService,
        InvocationService,
        ToolsService,
        PluginHost,
        PluginEvents,
        PolicyGate,
        CallMetrics,
        SecretAccess,
        TelemetryMetrics,
        { provide: EXECUTOR_SETTINGS, useValue: settings },
        // Refuses, at boot, an EXECUTOR_MAX_OUTPUT_BYTES the bus cannot carry.
        fitsBusProvider([outputBusBound(settings.limits.maxOutputBytes)]),
        ...outboxProviders(EXECUTOR_SCHEMA),
        policyLoadedProvider(EXECUTOR_SERVICE, settings.grants),
      ],
    };
  }
}

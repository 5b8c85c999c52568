import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@convergio/messaging';
import { DeploymentsService } from './deployments/deployments.service.js';
import { LifecycleService } from './deployments/lifecycle.service.js';
import { ExecutorHandler } from './executor.handler.js';
import { EXECUTOR_SERVICE } from './executor.schema.js';
import { EXECUTOR_LIMITS, type ExecutorLimits } from './invocations/executor-limits.js';
import { InvocationService } from './invocations/invocation.service.js';
import { PluginHost } from './invocations/plugin-host.js';
import { ToolsService } from './invocations/tools.service.js';

/** The executor's features; `limits` are the operator's per-call limits. */
@Module({})
export class ExecutorModule {
  static register(limits: ExecutorLimits): DynamicModule {
    return {
      module: ExecutorModule,
      imports: [MessagingModule.forService(EXECUTOR_SERVICE)],
      controllers: [ExecutorHandler],
      providers: [
        DeploymentsService,
        LifecycleService,
        InvocationService,
        ToolsService,
        PluginHost,
        { provide: EXECUTOR_LIMITS, useValue: limits },
      ],
    };
  }
}

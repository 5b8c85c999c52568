import { Inject } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type ReplyMap,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusContext, BusController, BusEvent } from '@convergio/messaging';
import type { ExecutorSettings } from './config/executor.config.js';
import { EXECUTOR_SETTINGS } from './invocations/executor-limits.js';
import { LifecycleService } from './versions/lifecycle.service.js';
import { InvocationService } from './invocations/invocation.service.js';
import { ToolsService } from './invocations/tools.service.js';

@BusController()
export class ExecutorHandler {
  constructor(
    private readonly lifecycle: LifecycleService,
    private readonly invocations: InvocationService,
    private readonly tools: ToolsService,
    @Inject(EXECUTOR_SETTINGS) private readonly settings: ExecutorSettings,
  ) {}

  @BusEvent(EventSubjects.PluginSubmitted)
  onSubmitted(@Payload() e: EventEnvelope<'plugin.submitted'>) {
    return this.lifecycle.onSubmitted(e);
  }

  @BusEvent(EventSubjects.PluginRejected)
  onRejected(@Payload() e: EventEnvelope<'plugin.rejected'>) {
    return this.lifecycle.onRejected(e);
  }

  @BusEvent(EventSubjects.PluginApproved)
  onApproved(@Payload() e: EventEnvelope<'plugin.approved'>, @Ctx() ctx: BusContext) {
    return this.lifecycle.onApproved(e, ctx.getMessageContext());
  }

  @BusEvent(EventSubjects.PluginRevoked)
  onRevoked(@Payload() e: EventEnvelope<'plugin.revoked'>, @Ctx() ctx: BusContext) {
    return this.lifecycle.onRevoked(e, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.ExecutorInvoke)
  invoke(@Payload() req: RequestEnvelope<'executor.invoke'>, @Ctx() ctx: BusContext) {
    return this.invocations.invoke(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.ExecutorInvokeBatch)
  invokeBatch(@Payload() req: RequestEnvelope<'executor.invoke-batch'>, @Ctx() ctx: BusContext) {
    return this.invocations.invokeBatch(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.ExecutorListTools)
  listTools(@Payload() req: RequestEnvelope<'executor.tools.list'>) {
    return this.tools.list(req.data.cursor);
  }

  /** The limits a gateway derives its wait for a call from (instead of guessing them). */
  @MessagePattern(RequestSubjects.ExecutorLimits)
  limits(): ReplyMap['executor.limits'] {
    return {
      call_wall_time_ms: this.settings.limits.wallTimeMs,
      instances_per_plugin: this.settings.instancesPerPlugin,
    };
  }
}

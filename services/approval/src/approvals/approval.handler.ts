import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusContext, BusController, BusEvent } from '@convergio/messaging';
import { ApprovalQueue } from './approval-queue.js';
import { ApprovalService } from './approval.service.js';
import { ApprovalWithdrawals } from './approval-withdrawals.js';
import { DecisionService } from './decision.service.js';

@BusController()
export class ApprovalHandler {
  constructor(
    private readonly approvals: ApprovalService,
    private readonly queue: ApprovalQueue,
    private readonly decisions: DecisionService,
    private readonly withdrawals: ApprovalWithdrawals,
  ) {}

  @BusEvent(EventSubjects.PluginVerified)
  onVerified(@Payload() event: EventEnvelope<'plugin.verified'>, @Ctx() ctx: BusContext) {
    return this.approvals.onVerified(event, ctx.getMessageContext());
  }

  @BusEvent(EventSubjects.PluginRevoked)
  onRevoked(@Payload() event: EventEnvelope<'plugin.revoked'>) {
    return this.approvals.onRevoked(event);
  }

  @BusEvent(EventSubjects.ApiKeyRevoked)
  onKeyRevoked(@Payload() event: EventEnvelope<'api_key.revoked'>, @Ctx() ctx: BusContext) {
    return this.withdrawals.onKeyRevoked(event, ctx.getMessageContext());
  }

  @BusEvent(EventSubjects.PluginSignerChanged)
  onSignerChanged(@Payload() event: EventEnvelope<'plugin.signer_changed'>) {
    return this.approvals.onSignerChanged(event);
  }

  @MessagePattern(RequestSubjects.ApprovalListQueue)
  list(@Payload() req: RequestEnvelope<'approval.queue.list'>) {
    return this.queue.list(req.data);
  }

  @MessagePattern(RequestSubjects.ApprovalDecide)
  decide(@Payload() req: RequestEnvelope<'approval.decide'>, @Ctx() ctx: BusContext) {
    return this.decisions.decide(req.data, ctx.getMessageContext());
  }
}

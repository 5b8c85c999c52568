import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusContext, BusController, BusEvent } from '@convergio/messaging';
import { KeyringService } from './keyring.service.js';

@BusController()
export class KeyringHandler {
  constructor(private readonly keyring: KeyringService) {}

  @MessagePattern(RequestSubjects.VerificationAddSigner)
  add(@Payload() req: RequestEnvelope<'verification.signers.add'>, @Ctx() ctx: BusContext) {
    return this.keyring.add(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.VerificationListSigners)
  list(@Payload() req: RequestEnvelope<'verification.signers.list'>) {
    return this.keyring.list(req.data);
  }

  @MessagePattern(RequestSubjects.VerificationRotateSigner)
  rotate(@Payload() req: RequestEnvelope<'verification.signers.rotate'>, @Ctx() ctx: BusContext) {
    return this.keyring.rotate(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.VerificationRevokeSigner)
  revoke(@Payload() req: RequestEnvelope<'verification.signers.revoke'>, @Ctx() ctx: BusContext) {
    return this.keyring.revoke(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.VerificationSetPluginSigner)
  setPluginSigner(
    @Payload() req: RequestEnvelope<'verification.plugins.signer'>,
    @Ctx() ctx: BusContext,
  ) {
    return this.keyring.setPluginSigner(req.data, ctx.getMessageContext());
  }

  @BusEvent(EventSubjects.PluginApproved)
  onApproved(@Payload() event: EventEnvelope<'plugin.approved'>) {
    return this.keyring.onApproved(event);
  }
}

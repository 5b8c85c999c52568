import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusController } from '@convergio/messaging';
import { KeyringService } from './keyring.service.js';

@BusController()
export class KeyringHandler {
  constructor(private readonly keyring: KeyringService) {}

  @MessagePattern(RequestSubjects.VerificationAddSigner)
  add(@Payload() req: RequestEnvelope<'verification.signers.add'>) {
    return this.keyring.add(req.data);
  }

  @MessagePattern(RequestSubjects.VerificationListSigners)
  list(@Payload() req: RequestEnvelope<'verification.signers.list'>) {
    return this.keyring.list(req.data);
  }

  @MessagePattern(RequestSubjects.VerificationRotateSigner)
  rotate(@Payload() req: RequestEnvelope<'verification.signers.rotate'>) {
    return this.keyring.rotate(req.data);
  }

  @MessagePattern(RequestSubjects.VerificationRevokeSigner)
  revoke(@Payload() req: RequestEnvelope<'verification.signers.revoke'>) {
    return this.keyring.revoke(req.data);
  }

  @MessagePattern(RequestSubjects.VerificationSetPluginSigner)
  setPluginSigner(@Payload() req: RequestEnvelope<'verification.plugins.signer'>) {
    return this.keyring.setPluginSigner(req.data);
  }

  @EventPattern(EventSubjects.PluginApproved)
  onApproved(@Payload() event: EventEnvelope<'plugin.approved'>) {
    return this.keyring.onApproved(event);
  }
}

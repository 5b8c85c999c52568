import { Ctx, Payload } from '@nestjs/microservices';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import { BusContext, BusController, BusEvent } from '@convergio/messaging';
import { VerificationService } from './verification.service.js';

@BusController()
export class VerificationHandler {
  constructor(private readonly verification: VerificationService) {}

  @BusEvent(EventSubjects.PluginSubmitted)
  onSubmitted(@Payload() event: EventEnvelope<'plugin.submitted'>, @Ctx() ctx: BusContext) {
    return this.verification.verify(event, ctx.getMessageContext());
  }
}

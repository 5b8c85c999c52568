import { EventPattern, Payload } from '@nestjs/microservices';
import { EventSubjects, type EventEnvelope } from '@convergio/contracts';
import { BusController } from '@convergio/messaging';
import { VerificationService } from './verification.service.js';

@BusController()
export class VerificationHandler {
  constructor(private readonly verification: VerificationService) {}

  @EventPattern(EventSubjects.PluginSubmitted)
  onSubmitted(@Payload() event: EventEnvelope<'plugin.submitted'>) {
    return this.verification.verify(event);
  }
}

import { EventPattern, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusController } from '@convergio/messaging';
import { AuditService } from './audit.service.js';

/** Every event subject is recorded; one method each so each gets its own durable consumer. */
@BusController()
export class AuditHandler {
  constructor(private readonly audit: AuditService) {}

  @EventPattern(EventSubjects.PluginSubmitted)
  onPluginSubmitted(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginVerified)
  onPluginVerified(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginRejected)
  onPluginRejected(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginApproved)
  onPluginApproved(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginRevoked)
  onPluginRevoked(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginLoaded)
  onPluginLoaded(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginUnloaded)
  onPluginUnloaded(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PermissionDenied)
  onPermissionDenied(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginCrashed)
  onPluginCrashed(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.SecretAccessed)
  onSecretAccessed(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @MessagePattern(RequestSubjects.AuditQuery)
  query(@Payload() req: RequestEnvelope<'audit.query'>) {
    return this.audit.query(req.data);
  }

  @EventPattern(EventSubjects.SubmissionRefused)
  onSubmissionRefused(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginOwnerChanged)
  onPluginOwnerChanged(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginPolicyChecked)
  onPluginPolicyChecked(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.SignerAdded)
  onSignerAdded(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.SignerRotated)
  onSignerRotated(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.SignerRevoked)
  onSignerRevoked(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.PluginSignerChanged)
  onPluginSignerChanged(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.ApprovalRecorded)
  onApprovalRecorded(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.ApprovalRefused)
  onApprovalRefused(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.ApiKeyCreated)
  onApiKeyCreated(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.ApiKeyRevoked)
  onApiKeyRevoked(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }

  @EventPattern(EventSubjects.ApiKeyRotated)
  onApiKeyRotated(@Payload() event: EventEnvelope) {
    return this.audit.record(event);
  }
}

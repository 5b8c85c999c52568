import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventSubjects,
  LOAD_CRASH_FUNCTION,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusContext, BusController, BusEvent } from '@convergio/messaging';
import { ArtifactCollector } from './artifact-collector.js';
import { OwnershipService } from './ownership.service.js';
import { RegistryService } from './registry.service.js';
import { SubmissionService } from './submission.service.js';

/** The registry on the bus: requests from the gateway, lifecycle events from the other services. */
@BusController()
export class RegistryHandler {
  constructor(
    private readonly registry: RegistryService,
    private readonly submissions: SubmissionService,
    private readonly ownership: OwnershipService,
    private readonly collector: ArtifactCollector,
  ) {}

  @MessagePattern(RequestSubjects.RegistrySubmit)
  submit(@Payload() req: RequestEnvelope<'registry.submit'>, @Ctx() ctx: BusContext) {
    return this.submissions.submit(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.RegistryTransferOwner)
  transfer(@Payload() req: RequestEnvelope<'registry.plugins.transfer'>, @Ctx() ctx: BusContext) {
    return this.ownership.transfer(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.RegistryListPlugins)
  list(@Payload() req: RequestEnvelope<'registry.plugins.list'>) {
    return this.registry.list(req.data);
  }

  @MessagePattern(RequestSubjects.RegistryGetPlugin)
  getPlugin(@Payload() req: RequestEnvelope<'registry.plugins.get'>) {
    return this.registry.getPlugin(req.data);
  }

  @MessagePattern(RequestSubjects.RegistryGetVersion)
  getVersion(@Payload() req: RequestEnvelope<'registry.versions.get'>) {
    return this.registry.getVersion(req.data.plugin_id, req.data.version);
  }

  @MessagePattern(RequestSubjects.RegistryRevokeVersion)
  revoke(@Payload() req: RequestEnvelope<'registry.versions.revoke'>, @Ctx() ctx: BusContext) {
    return this.registry.revoke(req.data, ctx.getMessageContext());
  }

  @BusEvent(EventSubjects.PluginVerified)
  onVerified(@Payload() e: EventEnvelope<'plugin.verified'>) {
    return this.registry.apply(e, {
      status: 'verified',
      trust: e.data.trust,
      findings: e.data.findings,
    });
  }

  // Pending only once approval has queued it: an admin's approve route then finds the review.
  @BusEvent(EventSubjects.ApprovalRequested)
  onApprovalRequested(@Payload() e: EventEnvelope<'plugin.approval_requested'>) {
    return this.registry.apply(e, { status: 'pending_approval' });
  }

  // Then its module and SBOM leave the artifact store unless another version names them; on a
  // redelivery too (the status is applied once, collecting is idempotent), so a registry that
  // stopped in between collects when the event comes again.
  @BusEvent(EventSubjects.PluginRejected)
  async onRejected(@Payload() e: EventEnvelope<'plugin.rejected'>) {
    await this.registry.apply(e, { status: 'rejected', findings: e.data.reasons });
    await this.collector.collectRejected(e.data.plugin_id, e.data.version);
  }

  @BusEvent(EventSubjects.PluginApproved)
  onApproved(@Payload() e: EventEnvelope<'plugin.approved'>) {
    return this.registry.apply(e, { status: 'approved', trust: e.data.trust });
  }

  @BusEvent(EventSubjects.PluginRevoked)
  onRevoked(@Payload() e: EventEnvelope<'plugin.revoked'>) {
    return this.registry.apply(e, { status: 'revoked', loading: 'unloadedEverywhere' });
  }

  @BusEvent(EventSubjects.SignerRevoked)
  onSignerRevoked(@Payload() e: EventEnvelope<'signer.revoked'>, @Ctx() ctx: BusContext) {
    return this.registry.revokeSigned(e, ctx.getMessageContext());
  }

  @BusEvent(EventSubjects.PluginLoaded)
  onLoaded(@Payload() e: EventEnvelope<'plugin.loaded'>) {
    return this.registry.apply(e, { loading: { instance: e.data.instance, loaded: true } });
  }

  @BusEvent(EventSubjects.PluginUnloaded)
  onUnloaded(@Payload() e: EventEnvelope<'plugin.unloaded'>) {
    return this.registry.apply(e, { loading: { instance: e.data.instance, loaded: false } });
  }

  // A load that failed (a call's crash is no news about loading): the gateway's `?wait` and
  // GET .../versions/{v} say why the approved version does not run.
  @BusEvent(EventSubjects.PluginCrashed)
  async onCrashed(@Payload() e: EventEnvelope<'plugin.crashed'>) {
    if (e.data.function !== LOAD_CRASH_FUNCTION) return;
    const { reason, message } = e.data;
    await this.registry.apply(e, { loadFailure: { reason, message, at: e.occurred_at } });
  }

  @BusEvent(EventSubjects.PluginPolicyChecked)
  onPolicyChecked(@Payload() e: EventEnvelope<'plugin.policy_checked'>) {
    return this.registry.apply(e, { policyViolations: e.data.violations });
  }
}

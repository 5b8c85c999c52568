import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import {
  EventSubjects,
  RequestSubjects,
  type EventEnvelope,
  type RequestEnvelope,
} from '@convergio/contracts';
import { BusContext, BusController, BusEvent } from '@convergio/messaging';
import { SecretGrantsService } from './grants/secret-grants.service.js';
import { SecretReadService } from './reads/secret-read.service.js';
import { SecretsAdminService } from './stores/secrets-admin.service.js';
import { SecretTokenService } from './tokens/secret-token.service.js';

@BusController()
export class SecretBrokerHandler {
  constructor(
    private readonly grants: SecretGrantsService,
    private readonly tokens: SecretTokenService,
    private readonly reads: SecretReadService,
    private readonly admin: SecretsAdminService,
  ) {}

  @BusEvent(EventSubjects.PluginApproved)
  onApproved(@Payload() e: EventEnvelope<'plugin.approved'>) {
    return this.grants.onApproved(e);
  }

  @BusEvent(EventSubjects.PluginRevoked)
  onRevoked(@Payload() e: EventEnvelope<'plugin.revoked'>) {
    return this.grants.onRevoked(e);
  }

  @BusEvent(EventSubjects.SignerRevoked)
  onSignerRevoked(@Payload() e: EventEnvelope<'signer.revoked'>) {
    return this.grants.onSignerRevoked(e);
  }

  @MessagePattern(RequestSubjects.SecretsTokenIssue)
  issue(@Payload() req: RequestEnvelope<'secrets.token.issue'>) {
    return this.tokens.issue(req.data);
  }

  @MessagePattern(RequestSubjects.SecretsRead)
  read(@Payload() req: RequestEnvelope<'secrets.read'>, @Ctx() ctx: BusContext) {
    return this.reads.read(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.SecretsPut)
  put(@Payload() req: RequestEnvelope<'secrets.put'>, @Ctx() ctx: BusContext) {
    return this.admin.put(req.data, ctx.getMessageContext());
  }

  @MessagePattern(RequestSubjects.SecretsDelete)
  delete(@Payload() req: RequestEnvelope<'secrets.delete'>, @Ctx() ctx: BusContext) {
    return this.admin.delete(req.data, ctx.getMessageContext());
  }
}

import { Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiBody,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import {
  APPROVAL_STATUSES,
  DomainError,
  MAX_DECIDER_KIN,
  RequestSchemas,
  RequestSubjects,
  TrustSchema,
} from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { ApiKeyService } from '../auth/api-key.service.js';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { ClientGone } from '../http/client-gone.js';
import { Roles, type Principal } from '../auth/roles.js';
import { openApiSchema } from '../http/openapi-schema.js';
import { ApiPageQuery, pagedListDescription, pageQuery } from '../http/page-query.js';
import { ApiPluginPath, PluginIdParam, VersionParam } from '../http/path-params.js';
import { JsonBody } from '../http/body-type.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import {
  MAX_WAIT_SECONDS,
  RESTING_AFTER_APPROVAL,
  settledState,
  waitQuery,
} from '../plugins/settled-state.js';
import { RequestContext } from '../http/request-context.decorator.js';

const QueueQuery = pageQuery({
  status: Type.Union(
    APPROVAL_STATUSES.map((s) => Type.Literal(s)),
    { default: 'pending', description: 'reviews in this status' },
  ),
});
const ApproveBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000 })), trust: Type.Optional(TrustSchema) },
  { additionalProperties: false },
);
const ApproveQuery = waitQuery(
  'seconds to wait until an executor has loaded the approved version (a call made next runs it) or its load failed',
);
const RejectBody = Type.Object(
  { reason: Type.String({ minLength: 1, maxLength: 2000 }) },
  { additionalProperties: false },
);

@ApiTags('approvals')
@ApiBearerAuth()
@Roles('admin')
@Controller('v1/approvals')
export class ApprovalsController {
  constructor(
    private readonly bus: BusClient,
    private readonly keys: ApiKeyService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List reviews (the pending queue by default)',
    description: pagedListDescription(
      "Oldest request first; a review carries its version's permissions.",
      'reviews',
    ),
  })
  @ApiPageQuery(QueueQuery)
  @ApiOkResponse({
    schema: openApiSchema(RequestSchemas[RequestSubjects.ApprovalListQueue].reply),
  })
  queue(
    @Query(new SchemaPipe(QueueQuery, 'approvals query', { coerce: true }))
    query: Static<typeof QueueQuery>,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(RequestSubjects.ApprovalListQueue, query, { context });
  }

  @Post(':id/:version/approve')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Approve a pending version',
    description: `Answers with the decision at once. With \`?wait=<seconds>\` (at most ${MAX_WAIT_SECONDS}) an approval answers as soon as the outcome is known, adding \`loaded\` (true: calls made next run it), \`load_failure\` (why the executor could not load it), \`policy_violations\`, \`findings\` and \`settled\` (false when the wait ran out first); the wait stops when the client disconnects. Nobody approves a version their key (or their publisher) submitted (403 \`self_approval_forbidden\`). A version asking for proc.exec, or approved above untrusted, needs two different admins: the first approval answers \`status: pending\` with the approval recorded, and the same admin approving again gets 403 \`second_approver_required\`.`,
  })
  @ApiPluginPath({ version: true })
  @ApiQuery({
    name: 'wait',
    required: false,
    schema: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS },
  })
  @ApiBody({ schema: ApproveBody })
  async approve(
    @Param('id', PluginIdParam) id: string,
    @Param('version', VersionParam) version: string,
    @JsonBody(new SchemaPipe(ApproveBody, 'approve request')) body: Static<typeof ApproveBody>,
    @Query(new SchemaPipe(ApproveQuery, 'approve query', { coerce: true }))
    query: Static<typeof ApproveQuery>,
    @CurrentPrincipal() who: Principal,
    @ClientGone() gone: AbortSignal,
    @RequestContext() context: MessageContext,
  ) {
    const kin = await this.keys.issuanceKin(who.keyId);
    if (kin.length > MAX_DECIDER_KIN)
      throw new DomainError(
        'conflict',
        `this key's issuance lineage holds ${kin.length} keys, more than the ${MAX_DECIDER_KIN} an approval can weigh: approve with an admin key the bootstrap key issued`,
        [{ code: 'lineage_too_large', message: `more than ${MAX_DECIDER_KIN} keys` }],
      );
    const decided = await this.bus.request(
      RequestSubjects.ApprovalDecide,
      {
        ...body,
        plugin_id: id,
        version,
        decision: 'approve',
        decided_by: who.keyId,
        decided_by_publisher: who.publisher,
        decided_by_kin: kin,
      },
      { context },
    );
    // A version waiting for a second admin will not load: nothing to wait for.
    if (!query.wait || decided.status !== 'approved') return decided;
    const { status: _version, ...waited } = await settledState(
      this.bus,
      { plugin_id: id, version },
      'pending_approval',
      query.wait,
      { resting: RESTING_AFTER_APPROVAL, signal: gone, context },
    );
    return { ...decided, ...waited };
  }

  @Post(':id/:version/reject')
  @HttpCode(HttpStatus.OK)
  @ApiPluginPath({ version: true })
  @ApiBody({ schema: RejectBody })
  reject(
    @Param('id', PluginIdParam) id: string,
    @Param('version', VersionParam) version: string,
    @JsonBody(new SchemaPipe(RejectBody, 'reject request')) body: Static<typeof RejectBody>,
    @CurrentPrincipal() who: Principal,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(
      RequestSubjects.ApprovalDecide,
      { plugin_id: id, version, decision: 'reject', decided_by: who.keyId, note: body.reason },
      { context },
    );
  }
}

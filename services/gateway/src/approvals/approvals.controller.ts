import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiTags } from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { APPROVAL_STATUSES, RequestSubjects, TrustSchema } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { CurrentPrincipal } from '../auth/principal.decorator.js';
import { Roles, type Principal } from '../auth/roles.js';
import { ApiPluginPath, PluginIdParam, VersionParam } from '../http/path-params.js';
import { SchemaPipe } from '../http/schema.pipe.js';

const QueueQuery = Type.Object(
  {
    status: Type.Union(
      APPROVAL_STATUSES.map((s) => Type.Literal(s)),
      { default: 'pending' },
    ),
  },
  { additionalProperties: false },
);
const ApproveBody = Type.Object(
  { note: Type.Optional(Type.String({ maxLength: 2000 })), trust: Type.Optional(TrustSchema) },
  { additionalProperties: false },
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
  constructor(private readonly bus: BusClient) {}

  @Get()
  queue(
    @Query(new SchemaPipe(QueueQuery, 'approvals query', { coerce: true }))
    query: Static<typeof QueueQuery>,
  ) {
    return this.bus.request(RequestSubjects.ApprovalListQueue, {
      status: query.status ?? 'pending',
    });
  }

  @Post(':id/:version/approve')
  @HttpCode(HttpStatus.OK)
  @ApiPluginPath({ version: true })
  @ApiBody({ schema: ApproveBody })
  approve(
    @Param('id', PluginIdParam) id: string,
    @Param('version', VersionParam) version: string,
    @Body(new SchemaPipe(ApproveBody, 'approve request')) body: Static<typeof ApproveBody>,
    @CurrentPrincipal() who: Principal,
  ) {
    return this.bus.request(RequestSubjects.ApprovalDecide, {
      plugin_id: id,
      version,
      decision: 'approve',
      decided_by: who.keyId,
      ...body,
    });
  }

  @Post(':id/:version/reject')
  @HttpCode(HttpStatus.OK)
  @ApiPluginPath({ version: true })
  @ApiBody({ schema: RejectBody })
  reject(
    @Param('id', PluginIdParam) id: string,
    @Param('version', VersionParam) version: string,
    @Body(new SchemaPipe(RejectBody, 'reject request')) body: Static<typeof RejectBody>,
    @CurrentPrincipal() who: Principal,
  ) {
    return this.bus.request(RequestSubjects.ApprovalDecide, {
      plugin_id: id,
      version,
      decision: 'reject',
      decided_by: who.keyId,
      note: body.reason,
    });
  }
}

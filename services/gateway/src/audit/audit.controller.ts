import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequestSubjects } from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { ApiKeyService } from '../auth/api-key.service.js';
import { bearerKey, type AuthedRequest } from '../auth/request-authentication.js';
import { Roles } from '../auth/roles.js';
import { openApiSchema } from '../http/openapi-schema.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { AuditExport } from './audit-export.js';
import {
  ApiAuditFilters,
  AuditExportQuery,
  AuditQuery,
  withCanonicalActor,
} from './audit-filters.js';
import { AuditVerify, ChainVerdictSchema } from './audit-verify.js';
import { RequestContext } from '../http/request-context.decorator.js';

@ApiTags('audit')
@ApiBearerAuth()
@Roles('auditor')
@Controller('v1/audit')
export class AuditController {
  constructor(
    private readonly bus: BusClient,
    private readonly exporter: AuditExport,
    private readonly chain: AuditVerify,
    private readonly keys: ApiKeyService,
  ) {}

  /** Events in the order they were recorded; the next page is `?cursor=` the previous page's `next_cursor`. */
  @Get()
  @ApiOperation({
    summary: 'Query the audit log',
    description:
      'Filters combine (AND). 400 `validation_failed` for a bad filter, a cursor this log did not hand out, `cursor` with `after_seq`, or `from` not before `to`.',
  })
  @ApiAuditFilters(AuditQuery)
  query(
    @Query(new SchemaPipe(AuditQuery, 'audit query', { coerce: true }))
    q: AuditQuery,
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(RequestSubjects.AuditQuery, withCanonicalActor(q), { context });
  }

  /** Every matching event, one JSON object per line, for SIEM tools. */
  @Get('export')
  @ApiOperation({
    summary: 'Export the audit log as NDJSON',
    description:
      'The filters of GET /v1/audit without `limit`; streamed as application/x-ndjson, one event per line, in the order recorded. The key is checked again before each page of 500 events: the stream is cut once it is revoked, or its rotated-out secret expires.',
  })
  @ApiProduces('application/x-ndjson')
  @ApiAuditFilters(AuditExportQuery)
  async export(
    @Query(new SchemaPipe(AuditExportQuery, 'audit export query', { coerce: true }))
    q: AuditExportQuery,
    @Req() req: AuthedRequest,
    @Res() res: FastifyReply,
    @RequestContext() context: MessageContext,
  ): Promise<void> {
    const key = bearerKey(req) ?? '';
    const stillValid = () =>
      this.keys.authenticate(key).then(
        () => true,
        () => false,
      );
    await this.exporter.stream(withCanonicalActor(q), res, context, stillValid);
  }

  /** Recomputes the hash chain from the first record to the last. */
  @Get('verify')
  @ApiOperation({
    summary: 'Verify the audit log hash chain',
    description:
      'Names the first record that was changed, removed before, or inserted. Records removed from the end are only detected against a head hash kept elsewhere (see the operator guide).',
  })
  @ApiOkResponse({ schema: openApiSchema(ChainVerdictSchema) })
  verify() {
    return this.chain.verify();
  }
}

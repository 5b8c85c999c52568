import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { RequestSubjects } from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { Roles } from '../auth/roles.js';
import { openApiSchema } from '../http/openapi-schema.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { AuditExport } from './audit-export.js';
import { ApiAuditFilters, AuditExportQuery, AuditQuery } from './audit-filters.js';
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
    return this.bus.request(RequestSubjects.AuditQuery, q, { context });
  }

  /** Every matching event, one JSON object per line, for SIEM tools. */
  @Get('export')
  @ApiOperation({
    summary: 'Export the audit log as NDJSON',
    description:
      'The filters of GET /v1/audit without `limit`; streamed as application/x-ndjson, one event per line, in the order recorded.',
  })
  @ApiProduces('application/x-ndjson')
  @ApiAuditFilters(AuditExportQuery)
  async export(
    @Query(new SchemaPipe(AuditExportQuery, 'audit export query', { coerce: true }))
    q: AuditExportQuery,
    @Res() res: FastifyReply,
    @RequestContext() context: MessageContext,
  ): Promise<void> {
    await this.exporter.stream(q, res, context);
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

import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { RequestSchemas, RequestSubjects } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { Roles } from '../auth/roles.js';
import { SchemaPipe } from '../http/schema.pipe.js';

const Filters = RequestSchemas[RequestSubjects.AuditQuery].request.properties;
/** The audit service's own query, field for field, so nothing reaches it unchecked. */
const AuditQuery = Type.Object(
  {
    ...Filters,
    limit: Type.Integer({
      minimum: Filters.limit.minimum,
      maximum: Filters.limit.maximum,
      default: 100,
    }),
  },
  { additionalProperties: false },
);

@ApiTags('audit')
@ApiBearerAuth()
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly bus: BusClient) {}

  /** Events in the order they were recorded; page with `after_seq` = the previous page's `next_after_seq`. */
  @Get()
  @Roles('auditor')
  query(
    @Query(new SchemaPipe(AuditQuery, 'audit query', { coerce: true }))
    q: Static<typeof AuditQuery>,
  ) {
    return this.bus.request(RequestSubjects.AuditQuery, q);
  }
}

import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Type, type Static } from '@sinclair/typebox';
import { RequestSubjects } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';
import { Roles } from '../auth/roles.js';
import { SchemaPipe } from '../http/schema.pipe.js';

const AuditQuery = Type.Object(
  {
    plugin_id: Type.Optional(Type.String({ maxLength: 255 })),
    version: Type.Optional(Type.String({ maxLength: 64 })),
    type: Type.Optional(Type.String({ maxLength: 100 })),
    after_seq: Type.Optional(Type.Integer({ minimum: 0 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
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

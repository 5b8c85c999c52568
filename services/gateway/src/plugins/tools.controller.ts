import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { RequestSchemas, RequestSubjects } from '@convergio/contracts';
import { BusClient, type MessageContext } from '@convergio/messaging';
import { openApiSchema } from '../http/openapi-schema.js';
import { SchemaPipe } from '../http/schema.pipe.js';
import { RequestContext } from '../http/request-context.decorator.js';

const ToolsQuery = RequestSchemas[RequestSubjects.ExecutorListTools].request;

@ApiTags('tools')
@ApiBearerAuth()
@Controller('v1/tools')
export class ToolsController {
  constructor(private readonly bus: BusClient) {}

  /** Tools of approved plugins with their input schemas, for the core's agents; the next page is `?cursor=` the previous page's `next_cursor`. */
  @Get()
  @ApiOperation({
    summary: 'List the tools of approved plugins',
    description:
      'By plugin id, then tool name; a page holds as many tools as fit one bus message (NATS max_payload), so page on with `?cursor=` until `next_cursor` is null. 400 `validation_failed` for a cursor this list did not hand out.',
  })
  @ApiQuery({
    name: 'cursor',
    required: false,
    description: "the previous page's `next_cursor`",
    schema: openApiSchema(ToolsQuery.properties.cursor),
  })
  list(
    @Query(new SchemaPipe(ToolsQuery, 'tools query', { coerce: true })) q: { cursor?: string },
    @RequestContext() context: MessageContext,
  ) {
    return this.bus.request(RequestSubjects.ExecutorListTools, q, { context });
  }
}

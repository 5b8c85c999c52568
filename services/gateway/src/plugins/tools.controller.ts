import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { RequestSubjects } from '@convergio/contracts';
import { BusClient } from '@convergio/messaging';

@ApiTags('tools')
@ApiBearerAuth()
@Controller('v1/tools')
export class ToolsController {
  constructor(private readonly bus: BusClient) {}

  /** Tools of approved plugins with their input schemas, for the core's agents. */
  @Get()
  list() {
    return this.bus.request(RequestSubjects.ExecutorListTools, {});
  }
}

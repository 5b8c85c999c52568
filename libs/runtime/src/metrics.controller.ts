import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from './public.decorator.js';
import { renderMetrics } from '@convergio/observability';

/** Prometheus text format of every metric this process records. */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController {
  /** A failure to render is a coded 500 through the error filter, never a process exit. */
  @Get('metrics')
  @Header('content-type', 'text/plain; version=0.0.4')
  metrics(): Promise<string> {
    return renderMetrics();
  }
}

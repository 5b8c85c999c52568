import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public } from './public.decorator.js';
import { initTelemetry } from '@convergio/observability';

/** Prometheus text format of every metric this process records. */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController {
  @Get('metrics')
  metrics(@Req() req: Request, @Res() res: Response): void {
    initTelemetry().getMetricsRequestHandler(req, res);
  }
}

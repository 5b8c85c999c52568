import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from './public.decorator.js';
import { initTelemetry } from '@convergio/observability';

/** Prometheus text format of every metric this process records. */
@ApiExcludeController()
@Public()
@Controller()
export class MetricsController {
  @Get('metrics')
  metrics(@Req() req: FastifyRequest, @Res() res: FastifyReply): void {
    // The exporter writes the Node response itself.
    res.hijack();
    initTelemetry().getMetricsRequestHandler(req.raw, res.raw);
  }
}

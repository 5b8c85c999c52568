import { Controller, Get, HttpCode, HttpStatus, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { BusClient } from '@convergio/messaging';
import { DataSource } from 'typeorm';
import { isDatabaseReady } from '@convergio/persistence';
import { Public } from './public.decorator.js';

/** Liveness and readiness (bus and database) of a service. */
@ApiExcludeController()
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly bus: BusClient,
    private readonly dataSource: DataSource,
  ) {}

  @Get('healthz')
  @HttpCode(HttpStatus.OK)
  health() {
    return { status: 'ok' };
  }

  @Get('readyz')
  async ready(@Res({ passthrough: true }) res: FastifyReply) {
    const checks = { bus: this.bus.isReady(), database: await isDatabaseReady(this.dataSource) };
    const ready = checks.bus && checks.database;
    res.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ready ? 'ready' : 'not_ready', checks };
  }
}

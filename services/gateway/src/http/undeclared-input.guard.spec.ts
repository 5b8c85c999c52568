import { Controller, Get, Module, Query } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GATEWAY_LIMITS } from '../config/gateway.config.js';
import { HttpErrorFilter } from './http-error.filter.js';
import { PROBE_LIMITS, startProbeApp, type ProbeApp } from './probe-app.spec-helper.js';
import { UndeclaredInputGuard } from './undeclared-input.guard.js';

/** What reached a handler: nothing may, for a refused request. */
const reached: string[] = [];

@Controller('t')
class ProbeController {
  @Get('keys')
  list(@Query() query: unknown) {
    reached.push('list');
    return { query };
  }

  @Get('key')
  get() {
    reached.push('get');
    return { key: true };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    { provide: GATEWAY_LIMITS, useValue: PROBE_LIMITS },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
    { provide: APP_GUARD, useClass: UndeclaredInputGuard },
  ],
})
class ProbeModule {}

describe('a query a route does not read (UndeclaredInputGuard)', () => {
  let app: NestFastifyApplication;
  let send: ProbeApp['send'];

  beforeAll(async () => ({ app, send } = await startProbeApp(ProbeModule)));
  afterAll(() => app?.close());
  beforeEach(() => (reached.length = 0));

  it('refuses a query on a route that reads none, and takes one on a route that does', async () => {
    const res = await send('GET', '/t/key?owner=x');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'validation_failed',
      details: [{ code: 'schema.additionalProperties', message: expect.any(String) }],
    });
    expect(await send('GET', '/t/keys?owner=x')).toEqual({
      status: 200,
      body: { query: { owner: 'x' } },
    });
    expect(await send('GET', '/t/key')).toEqual({ status: 200, body: { key: true } });
    expect(reached).toEqual(['list', 'get']);
  });
});

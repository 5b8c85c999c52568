import { Body, Controller, Delete, Get, HttpCode, Module, Post, Query } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GATEWAY_LIMITS } from '../config/gateway.config.js';
import { TakesBody } from './body-type.js';
import { HttpErrorFilter } from './http-error.filter.js';
import { PROBE_LIMITS, startProbeApp, type ProbeApp } from './probe-app.spec-helper.js';
import { UndeclaredInputGuard } from './undeclared-input.guard.js';

/** What reached a handler: nothing may, for a refused request. */
const reached: string[] = [];

@Controller('t')
class ProbeController {
  @Post('keys/:id/rotate')
  @HttpCode(200)
  rotate() {
    reached.push('rotate');
    return { rotated: true };
  }

  @Delete('keys/:id')
  @HttpCode(200)
  revoke() {
    reached.push('revoke');
    return { revoked: true };
  }

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

  @Post('keys')
  @HttpCode(200)
  create(@Body() body: unknown) {
    reached.push('create');
    return { body: body ?? null };
  }

  @Post('form')
  @HttpCode(200)
  @TakesBody('multipart/form-data', 'multipart/form-data with the part a')
  form() {
    reached.push('form');
    return { form: true };
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

describe('input a route does not declare (UndeclaredInputGuard)', () => {
  let app: NestFastifyApplication;
  let send: ProbeApp['send'];

  beforeAll(async () => ({ app, send } = await startProbeApp(ProbeModule)));
  afterAll(() => app?.close());
  beforeEach(() => (reached.length = 0));

  const JSON_TYPE = { 'content-type': 'application/json' };

  it.each([
    ['POST', '/t/keys/k1/rotate', 'POST /t/keys/:id/rotate'],
    ['DELETE', '/t/keys/k1', 'DELETE /t/keys/:id'],
    ['GET', '/t/key', 'GET /t/key'],
  ])(
    'refuses a body sent with %s %s, a route that takes none, with 400 before the handler',
    async (method, path, route) => {
      const res = await send(method, path, JSON_TYPE, '{"roles":["auditor"]}');
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual({
        code: 'bad_request',
        message: `${route} takes no body; this request has one: send it without a body`,
        details: [{ code: 'body_not_taken', message: 'send the request without a body' }],
      });
      expect(reached).toEqual([]);
    },
  );

  it('serves those routes without a body, or with an empty one', async () => {
    expect(await send('POST', '/t/keys/k1/rotate')).toEqual({
      status: 200,
      body: { rotated: true },
    });
    expect(await send('DELETE', '/t/keys/k1', JSON_TYPE, '')).toMatchObject({ status: 200 });
    expect(await send('GET', '/t/key')).toMatchObject({ status: 200 });
    expect(reached).toEqual(['rotate', 'revoke', 'get']);
  });

  it('takes the body of a route that reads one with @Body or declares its type with TakesBody', async () => {
    expect(await send('POST', '/t/keys', JSON_TYPE, '{"name":"k"}')).toEqual({
      status: 200,
      body: { body: { name: 'k' } },
    });
    const form = ['--b', 'Content-Disposition: form-data; name="a"', '', 'x', '--b--', ''].join(
      '\r\n',
    );
    expect(
      await send('POST', '/t/form', { 'content-type': 'multipart/form-data; boundary=b' }, form),
    ).toEqual({ status: 200, body: { form: true } });
    expect(reached).toEqual(['create', 'form']);
  });

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
    expect(reached).toEqual(['list']);
  });
});

import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Delete, Get, HttpCode, Module, Post, Query } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { prepareGatewayHttp } from '../openapi.js';
import { TakesBody } from './body-type.js';
import { HttpErrorFilter } from './http-error.filter.js';
import { UndeclaredInputGuard } from './undeclared-input.guard.js';

const LIMITS = {
  GATEWAY_MAX_INVOKE_BYTES: 64 * 1024,
  GATEWAY_MAX_JSON_DEPTH: 64,
} as GatewayLimits;

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
    { provide: GATEWAY_LIMITS, useValue: LIMITS },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
    { provide: APP_GUARD, useClass: UndeclaredInputGuard },
  ],
})
class ProbeModule {}

interface Answer {
  status: number;
  body: {
    error?: { code: string; message: string; details: { code: string; message: string }[] };
  } & Record<string, unknown>;
}

describe('input a route does not declare (UndeclaredInputGuard)', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    app = await NestFactory.create<NestFastifyApplication>(
      ProbeModule,
      new FastifyAdapter({ logger: false }),
      { bodyParser: false, logger: false },
    );
    prepareGatewayHttp(app);
    await app.listen(0, '127.0.0.1');
    port = (app.getHttpServer() as { address(): AddressInfo }).address().port;
  });
  afterAll(() => app?.close());
  beforeEach(() => (reached.length = 0));

  /** A raw request over a real socket, headers exactly as given. */
  function send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path,
          method,
          headers: {
            ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }),
            ...headers,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

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

import { jest } from '@jest/globals';
import { Catch, Logger, Module, type ExceptionFilter, type INestApplication } from '@nestjs/common';
import { APP_FILTER, HttpAdapterHost } from '@nestjs/core';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { call, ProbeModule, start } from './probe-service.spec-helper.js';

describe('errors of a service route (through bootstrapService)', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    jest.restoreAllMocks();
    await app?.close();
  });

  it('answers a /metrics rendering failure 500 internal in the platform shape, logs its stack under an id, and keeps serving', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    jest.spyOn(PrometheusSerializer.prototype, 'serialize').mockImplementationOnce(() => {
      throw new RangeError('Invalid string length');
    });
    app = await start();
    const res = await call(app, 'GET', '/metrics');
    expect(res.status).toBe(500);
    expect(res.type).toMatch(/^application\/json/);
    const body = JSON.parse(res.text) as { error: { message: string } };
    expect(body).toEqual({
      error: {
        code: 'internal',
        message: expect.stringMatching(/^internal error \(id [0-9a-f-]{36}\)$/),
        details: [],
      },
    });
    const id = /id ([0-9a-f-]{36})/.exec(body.error.message)?.[1];
    expect(logged).toHaveBeenCalledWith(
      `unhandled error ${id}`,
      expect.stringContaining('RangeError: Invalid string length'),
    );
    expect(await call(app, 'GET', '/healthz')).toMatchObject({ status: 200 });
    expect(await call(app, 'GET', '/metrics')).toMatchObject({ status: 200 });
  });

  it("leaves an error to the service's own filter when it registers one (the gateway's)", async () => {
    @Catch()
    class OwnFilter implements ExceptionFilter {
      constructor(private readonly adapter: HttpAdapterHost) {}
      catch(_exception: unknown, host: Parameters<ExceptionFilter['catch']>[1]): void {
        const response = host.switchToHttp().getResponse<unknown>();
        this.adapter.httpAdapter.reply(response, { own: true }, 418);
      }
    }
    @Module({ imports: [ProbeModule], providers: [{ provide: APP_FILTER, useClass: OwnFilter }] })
    class WithOwnFilter {}
    jest.spyOn(PrometheusSerializer.prototype, 'serialize').mockImplementationOnce(() => {
      throw new RangeError('Invalid string length');
    });
    app = await start(undefined, WithOwnFilter);
    const res = await call(app, 'GET', '/metrics');
    expect(res.status).toBe(418);
    expect(JSON.parse(res.text)).toEqual({ own: true });
  });
});

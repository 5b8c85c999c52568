import { jest } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import {
  BadRequestException,
  HttpException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { HttpAdapterHost } from '@nestjs/core';
import { DomainError } from '@convergio/contracts';
import type { GatewayLimits } from '../config/gateway.config.js';
import { HttpErrorFilter } from './http-error.filter.js';
import { RetryLaterError } from './retry-later.js';

const LIMITS = { GATEWAY_MAX_INVOKE_BYTES: 262144 } as GatewayLimits;

/** What the filter wrote: the status, the headers and the JSON body. */
function send(
  exception: unknown,
  request: { raw: { destroyed: boolean } } = { raw: { destroyed: false } },
): {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string; details: unknown[] } };
} {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as never };
  const res = {
    header: (name: string, value: string) => {
      sent.headers[name] = value;
      return res;
    },
  };
  const adapter = {
    httpAdapter: {
      reply(to: unknown, body: never, status: number) {
        expect(to).toBe(res);
        sent.status = status;
        sent.body = body;
      },
    },
  } as unknown as HttpAdapterHost;
  const host = {
    switchToHttp: () => ({ getResponse: () => res, getRequest: () => request }),
  } as unknown as ArgumentsHost;
  new HttpErrorFilter(adapter, LIMITS).catch(exception, host);
  return sent;
}

describe('HttpErrorFilter', () => {
  let logged: jest.SpiedFunction<Logger['error']>;
  beforeEach(() => {
    logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => logged.mockRestore());

  it('sends a domain error as {error: {code, message, details}} with its status', () => {
    const details = [{ code: 'schema.required', message: 'must have author', path: '/author' }];
    const sent = send(new DomainError('validation_failed', 'plugin.json is invalid', details));
    expect(sent).toEqual({
      status: 400,
      headers: {},
      body: { error: { code: 'validation_failed', message: 'plugin.json is invalid', details } },
    });
  });

  it('sends a plugin timeout as 504', () => {
    expect(send(new DomainError('plugin_timeout', 'ran out of time')).status).toBe(504);
  });

  it.each([
    [
      'a body over the size limit',
      new PayloadTooLargeException('File too large'),
      413,
      'payload_too_large',
    ],
    ['an unknown route', new NotFoundException('Cannot GET /v1/nothing'), 404, 'not_found'],
    ['unparseable JSON', new BadRequestException('Unexpected token } in JSON'), 400, 'bad_request'],
  ])('gives %s raised by Nest a stable code', (_what, exception, status, code) => {
    const sent = send(exception);
    expect(sent.status).toBe(status);
    expect(sent.body.error).toEqual({ code, message: exception.message, details: [] });
  });

  it('answers the domain error a body parser raised, which Nest wrapped', () => {
    const cause = new DomainError('validation_failed', 'too deep', [
      { code: 'json_too_deep', message: 'x' },
    ]);
    const sent = send(new HttpException('too deep', 403, { cause }));
    expect(sent.status).toBe(400);
    expect(sent.body.error).toEqual({
      code: 'validation_failed',
      message: 'too deep',
      details: cause.details,
    });
  });

  it('names the limit and its variable for a JSON body over the size limit', () => {
    const cause = Object.assign(new Error('Request body is too large'), {
      name: 'FastifyError',
      code: 'FST_ERR_CTP_BODY_TOO_LARGE',
      statusCode: 413,
    });
    const sent = send(new PayloadTooLargeException('Request body is too large', { cause }));
    expect(sent.status).toBe(413);
    expect(sent.body.error).toMatchObject({
      code: 'payload_too_large',
      message:
        'the JSON body is larger than 262144 bytes (256 KiB), the limit set by GATEWAY_MAX_INVOKE_BYTES',
      details: [expect.objectContaining({ code: 'body_too_large' })],
    });
  });

  it('hides an unknown error behind a 500 with an id that is logged with the stack', () => {
    const error = new Error('connection to 10.0.0.7:5432 refused');
    const sent = send(error);
    expect(sent.status).toBe(500);
    expect(sent.body.error.code).toBe('internal');
    const id = /^internal error \(id ([0-9a-f-]{36})\)$/.exec(sent.body.error.message)?.[1];
    expect(id).toBeDefined();
    const body = JSON.stringify(sent.body);
    expect(body).not.toContain('10.0.0.7');
    expect(body).not.toContain(error.stack!.split('\n')[1].trim());
    expect(logged).toHaveBeenCalledWith(`unhandled error ${id}`, error.stack);
  });

  it('answers a refusal that passes with time with Retry-After in whole seconds', () => {
    const sent = send(new RetryLaterError('rate_limited', 'too many failures', 1500));
    expect(sent.status).toBe(429);
    expect(sent.headers).toEqual({ 'retry-after': '2' });
    expect(sent.body.error.code).toBe('rate_limited');
    expect(send(new DomainError('rate_limited', 'no wait known')).headers).toEqual({});
  });

  it('logs a body its client cut off (Node: aborted, ECONNRESET) at debug, without a stack', () => {
    const debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    const sent = send(aborted, { raw: { destroyed: true } });
    expect(sent.status).toBe(400);
    expect(sent.body.error.code).toBe('bad_request');
    expect(logged).not.toHaveBeenCalled();
    expect(debug).toHaveBeenCalledWith(
      'the client closed the connection before its request body was complete',
    );
    debug.mockRestore();
  });

  it('gives every unknown error its own id', () => {
    const a = send('thrown string').body.error.message;
    const b = send(undefined).body.error.message;
    expect(a).toMatch(/^internal error \(id /);
    expect(a).not.toBe(b);
  });
});

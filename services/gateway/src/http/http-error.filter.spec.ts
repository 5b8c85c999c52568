import { jest } from '@jest/globals';
import type { ArgumentsHost } from '@nestjs/common';
import {
  BadRequestException,
  Logger,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { DomainError } from '@convergio/contracts';
import { HttpErrorFilter } from './http-error.filter.js';

/** What the filter wrote: the status and the JSON body. */
function send(exception: unknown): {
  status: number;
  body: { error: { code: string; message: string; details: unknown[] } };
} {
  const sent = { status: 0, body: undefined as never };
  const res = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    json(body: never) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => res }) } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
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

  it('gives every unknown error its own id', () => {
    const a = send('thrown string').body.error.message;
    const b = send(undefined).body.error.message;
    expect(a).toMatch(/^internal error \(id /);
    expect(a).not.toBe(b);
  });
});

import { Controller, Delete, Get, HttpCode, Module, Post } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { RouteConfig, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GATEWAY_LIMITS } from '../config/gateway.config.js';
import { JsonBody, TakesBody } from './body-type.js';
import { HttpErrorFilter } from './http-error.filter.js';
import { PROBE_LIMITS, startProbeApp, type ProbeApp } from './probe-app.spec-helper.js';

/** What reached a handler: nothing may, for a refused request. */
const reached: unknown[] = [];

@Controller('t')
class ProbeController {
  @Post('json')
  @HttpCode(200)
  json(@JsonBody() body: unknown) {
    reached.push(body);
    return { body: body ?? null };
  }

  @Post('form')
  @HttpCode(200)
  @TakesBody('multipart/form-data', 'multipart/form-data with the parts a and b')
  form() {
    reached.push('form');
    return { form: true };
  }

  @Delete('none')
  @HttpCode(200)
  none() {
    reached.push('none');
    return { none: true };
  }

  @Post('keys/:id/rotate')
  @HttpCode(200)
  rotate() {
    reached.push('rotate');
    return { rotated: true };
  }

  @Get('key')
  get() {
    reached.push('get');
    return { key: true };
  }

  // Nest's RouteConfig replaces the config JsonBody marked: the route takes no body again.
  @Post('unmarked')
  @HttpCode(200)
  @RouteConfig({ other: true })
  unmarked(@JsonBody() body: unknown) {
    reached.push('unmarked');
    return { body: body ?? null };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    { provide: GATEWAY_LIMITS, useValue: PROBE_LIMITS },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
class ProbeModule {}

describe('bodies of a type their route does not take (refuseOtherBodies)', () => {
  let app: NestFastifyApplication;
  let send: ProbeApp['send'];

  beforeAll(async () => ({ app, send } = await startProbeApp(ProbeModule)));
  afterAll(() => app?.close());
  beforeEach(() => (reached.length = 0));

  const JSON_TEXT = '{"trust":"trusted","note":"x"}';
  const MULTIPART = [
    '--b0undary',
    'Content-Disposition: form-data; name="trust"',
    '',
    'trusted',
    '--b0undary--',
    '',
  ].join('\r\n');

  it.each([
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', JSON_TEXT],
    ['text/plain', 'text/plain', JSON_TEXT],
    ['multipart/form-data; boundary=b0undary', 'multipart/form-data', MULTIPART],
    ['application/vnd.api+json', 'application/vnd.api+json', JSON_TEXT],
    ['application/merge-patch+json', 'application/merge-patch+json', JSON_TEXT],
  ])(
    'refuses a %s body to a JSON route with 415, naming application/json, before the handler',
    async (type, named, body) => {
      const res = await send('POST', '/t/json', { 'content-type': type }, body);
      expect(res.status).toBe(415);
      expect(res.body.error).toEqual({
        code: 'unsupported_media_type',
        message:
          "POST /t/json takes a JSON body with Content-Type: application/json (curl -d sends application/x-www-form-urlencoded: add -H 'Content-Type: application/json'); " +
          `this request is ${named}`,
        details: [{ code: 'content_type', message: 'send Content-Type: application/json' }],
      });
      expect(reached).toEqual([]);
    },
  );

  it('refuses a body without a Content-Type to a JSON route with 415', async () => {
    const res = await send('POST', '/t/json', {}, JSON_TEXT);
    expect(res.status).toBe(415);
    expect(res.body.error?.message).toContain('application/json');
    expect(res.body.error?.message).toContain('this request has a body without a Content-Type');
    expect(reached).toEqual([]);
  });

  it.each([
    ['POST', '/t/keys/k1/rotate', 'POST /t/keys/:id/rotate'],
    ['DELETE', '/t/none', 'DELETE /t/none'],
    ['GET', '/t/key', 'GET /t/key'],
  ])(
    'refuses a body of any type sent with %s %s, a route that takes none, with 400 before the handler',
    async (method, path, route) => {
      const sent: Record<string, string>[] = [
        { 'content-type': 'application/json' },
        { 'content-type': 'text/plain' },
        { 'content-type': 'multipart/form-data; boundary=b0undary' },
        { 'content-type': ';;;' },
        {},
        { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      ];
      for (const headers of sent) {
        const res = await send(method, path, headers, '{"roles":["auditor"]}');
        expect({ headers, status: res.status, error: res.body.error }).toEqual({
          headers,
          status: 400,
          error: {
            code: 'bad_request',
            message: `${route} takes no body; this request has one: send it without a body`,
            details: [{ code: 'body_not_taken', message: 'send the request without a body' }],
          },
        });
      }
      expect(reached).toEqual([]);
    },
  );

  it('refuses a Content-Type that is not a media type on a route that takes no body, even without one', async () => {
    const res = await send('DELETE', '/t/none', { 'content-type': ';;;' });
    expect(res.status).toBe(415);
    expect(res.body.error).toEqual({
      code: 'unsupported_media_type',
      message:
        'DELETE /t/none takes no body; this request has the Content-Type ";;;", which is not a media type: send it without a Content-Type',
      details: [{ code: 'content_type', message: 'send the request without a Content-Type' }],
    });
    expect(await send('GET', '/t/key', { 'content-type': ';;;' })).toMatchObject({ status: 200 });
    expect(reached).toEqual(['get']);
  });

  it('refuses every body to a route whose JsonBody mark a later RouteConfig replaced (never reads one unmarked)', async () => {
    const res = await send('POST', '/t/unmarked', { 'content-type': 'application/json' }, '{}');
    expect(res.status).toBe(400);
    expect(res.body.error?.details).toEqual([
      { code: 'body_not_taken', message: 'send the request without a body' },
    ]);
    expect(reached).toEqual([]);
  });

  it('serves routes that take no body without one, or with an empty one, whatever their Content-Type', async () => {
    expect(await send('POST', '/t/keys/k1/rotate')).toEqual({
      status: 200,
      body: { rotated: true },
    });
    expect(await send('DELETE', '/t/none', { 'content-type': 'application/json' }, '')).toEqual({
      status: 200,
      body: { none: true },
    });
    expect(await send('POST', '/t/keys/k1/rotate', { 'content-type': 'text/plain' })).toEqual({
      status: 200,
      body: { rotated: true },
    });
    expect(await send('GET', '/t/key')).toMatchObject({ status: 200 });
    expect(reached).toEqual(['rotate', 'none', 'rotate', 'get']);
  });

  it('refuses a Content-Type that is not a media type, with a body or without, naming the type to send', async () => {
    for (const body of [JSON_TEXT, undefined]) {
      const res = await send('POST', '/t/json', { 'content-type': ';;;' }, body);
      expect(res.status).toBe(415);
      expect(res.body.error?.code).toBe('unsupported_media_type');
      expect(res.body.error?.message).toContain('Content-Type: application/json');
      expect(res.body.error?.message).toContain('";;;", which is not a media type');
    }
    expect(reached).toEqual([]);
  });

  it('takes JSON in any case and with parameters, and requests without a body', async () => {
    for (const type of ['application/json', 'Application/JSON', 'application/json; charset=utf-8'])
      expect(await send('POST', '/t/json', { 'content-type': type }, JSON_TEXT)).toEqual({
        status: 200,
        body: { body: { trust: 'trusted', note: 'x' } },
      });
    // `curl -X POST` and `curl -d ''` (an empty form) send no body to read.
    expect((await send('POST', '/t/json', {})).status).toBe(200);
    expect(
      (await send('POST', '/t/json', { 'content-type': 'application/x-www-form-urlencoded' }, ''))
        .status,
    ).toBe(200);
    const json = { trust: 'trusted', note: 'x' };
    expect(reached).toEqual([json, json, json, undefined, undefined]);
  });

  it('refuses anything but its own type on a route that takes another, naming that type', async () => {
    const res = await send('POST', '/t/form', { 'content-type': 'application/json' }, JSON_TEXT);
    expect(res.status).toBe(415);
    expect(res.body.error?.message).toBe(
      'POST /t/form takes multipart/form-data with the parts a and b; this request is application/json',
    );
    expect(res.body.error?.details).toEqual([
      { code: 'content_type', message: 'send Content-Type: multipart/form-data' },
    ]);
    const taken = await send(
      'POST',
      '/t/form',
      { 'content-type': 'multipart/form-data; boundary=b0undary' },
      MULTIPART,
    );
    expect(taken).toEqual({ status: 200, body: { form: true } });
    expect(reached).toEqual(['form']);
  });

  /** The codings a body may not come with, by header: what the refusal says, and its detail. */
  const CODINGS = [
    {
      header: 'content-encoding',
      values: ['gzip', 'deflate', 'br', 'x-whatever'],
      says: (value: string) =>
        `Content-Encoding: ${value}: send it uncompressed, without a Content-Encoding header`,
      detail: { code: 'content_encoding', message: 'send the body without Content-Encoding' },
    },
    {
      header: 'transfer-encoding',
      values: ['gzip, chunked', 'GZIP,chunked', 'deflate , chunked', 'x-custom, chunked'],
      says: (value: string) =>
        `Transfer-Encoding: ${value}: send it uncompressed, with Transfer-Encoding: chunked alone or a Content-Length`,
      detail: {
        code: 'transfer_encoding',
        message: 'send the body with Transfer-Encoding: chunked alone, or with a Content-Length',
      },
    },
  ];

  it.each([
    ['/t/json', 'application/json', JSON_TEXT],
    ['/t/form', 'multipart/form-data; boundary=b0undary', MULTIPART],
  ])(
    'refuses a %s body with a content or transfer coding with 415, rather than reading it as sent',
    async (path, type, body) => {
      for (const { header, values, says, detail } of CODINGS)
        for (const value of values) {
          // The body is left plain: the refusal must come from the header, whatever the bytes.
          const res = await send('POST', path, { 'content-type': type, [header]: value }, body);
          expect({ value, status: res.status, error: res.body.error }).toEqual({
            value,
            status: 415,
            error: {
              code: 'unsupported_media_type',
              message: `POST ${path} reads its body as sent; this request's body has ${says(value)}`,
              details: [detail],
            },
          });
        }
      expect(reached).toEqual([]);
      const asSent: Record<string, string>[] = [
        { 'content-encoding': 'identity' },
        { 'transfer-encoding': 'chunked' },
        { 'transfer-encoding': 'identity, chunked' },
      ];
      for (const headers of asSent)
        expect((await send('POST', path, { 'content-type': type, ...headers }, body)).status).toBe(
          200,
        );
      expect(reached).toHaveLength(3);
    },
  );

  it('refuses a charset other than UTF-8 with 415 naming UTF-8, on JSON and on the form', async () => {
    for (const charset of ['latin1', 'ISO-8859-1', '"utf-16"', 'utf-16le']) {
      const json = await send(
        'POST',
        '/t/json',
        { 'content-type': `application/json; charset=${charset}` },
        JSON_TEXT,
      );
      expect(json.status).toBe(415);
      expect(json.body.error?.code).toBe('unsupported_media_type');
      expect(json.body.error?.message).toContain(
        `; this request says charset=${charset.replaceAll('"', '').toLowerCase()}: send the body in UTF-8, with charset=utf-8 or no charset`,
      );
      expect(json.body.error?.details).toEqual([
        { code: 'charset', message: 'send Content-Type: application/json; charset=utf-8' },
      ]);
      const form = await send(
        'POST',
        '/t/form',
        { 'content-type': `multipart/form-data; charset=${charset}; boundary=b0undary` },
        MULTIPART,
      );
      expect(form.status).toBe(415);
      expect(form.body.error?.message).toContain(
        'multipart/form-data with the parts a and b, in UTF-8',
      );
    }
    for (const charset of ['utf-8', 'UTF8', '"utf-8"'])
      expect(
        (
          await send(
            'POST',
            '/t/json',
            { 'content-type': `application/json; charset=${charset}` },
            JSON_TEXT,
          )
        ).status,
      ).toBe(200);
    expect(reached).toHaveLength(3);
  });

  it('refuses a charset named twice or in the extended form, whichever comes first', async () => {
    for (const [parameters, says] of [
      ['charset=utf-8; charset=latin1', 'utf-8, latin1'],
      ['charset=latin1; charset=utf-8', 'latin1, utf-8'],
      ["charset*=utf-16''x", "*utf-16''x"],
      ["charset=utf-8; charset*=utf-8''x", "utf-8, *utf-8''x"],
    ]) {
      const res = await send(
        'POST',
        '/t/json',
        { 'content-type': `application/json; ${parameters}` },
        JSON_TEXT,
      );
      expect(res.status).toBe(415);
      expect(res.body.error?.message).toContain(`this request says charset=${says}:`);
    }
  });

  it('refuses a JSON body that starts with a UTF-8 byte order mark with 400 bad_request saying to remove it', async () => {
    for (const body of [
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON_TEXT)]),
      Buffer.from([0xef, 0xbb, 0xbf]),
    ]) {
      const res = await send('POST', '/t/json', { 'content-type': 'application/json' }, body);
      expect(res).toEqual({
        status: 400,
        body: {
          error: {
            code: 'bad_request',
            message:
              'the JSON body starts with a byte order mark (the bytes EF BB BF): send it without one (RFC 8259 §8.1)',
            details: [],
          },
        },
      });
    }
    expect(reached).toEqual([]);
  });

  it.each([
    ['UTF-16LE with its byte order mark', 'utf16le', [0xff, 0xfe], 'UTF-16LE'],
    ['UTF-16BE with its byte order mark', 'utf16be', [0xfe, 0xff], 'UTF-16BE'],
    ['UTF-16LE without a byte order mark', 'utf16le', [], 'UTF-16LE'],
    ['UTF-16BE without a byte order mark', 'utf16be', [], 'UTF-16BE'],
  ])(
    'refuses a JSON body in %s with 400 bad_request saying to send UTF-8',
    async (_case, encoding, bom, named) => {
      const le = Buffer.from(` ${JSON_TEXT}`, 'utf16le');
      const text = encoding === 'utf16le' ? le : Buffer.from(le).swap16();
      const res = await send(
        'POST',
        '/t/json',
        { 'content-type': 'application/json' },
        Buffer.concat([Buffer.from(bom), text]),
      );
      expect(res).toEqual({
        status: 400,
        body: {
          error: {
            code: 'bad_request',
            message: `the JSON body is in ${named}: send it in UTF-8 (RFC 8259 §8.1)`,
            details: [],
          },
        },
      });
      expect(reached).toEqual([]);
    },
  );

  it('leaves a body to an unknown route to its 404', async () => {
    const res = await send('POST', '/t/nothing', { 'content-type': 'text/plain' }, 'x');
    expect(res.status).toBe(404);
    expect(res.body.error?.code).toBe('not_found');
  });
});

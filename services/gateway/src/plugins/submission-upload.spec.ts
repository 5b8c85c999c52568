import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Controller, HttpCode, Module, Post, UseInterceptors } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GATEWAY_LIMITS, type GatewayLimits } from '../config/gateway.config.js';
import { TakesBody } from '../http/body-type.js';
import { HttpErrorFilter } from '../http/http-error.filter.js';
import { prepareGatewayHttp } from '../openapi.js';
import {
  MAX_CONCURRENT_SUBMISSIONS,
  SUBMISSION_FORM,
  SUBMISSION_MEDIA_TYPE,
  SubmissionUpload,
  SubmittedParts,
} from './submission-upload.js';
import type { SubmissionParts } from './submission.service.js';

const LIMITS = {
  GATEWAY_MAX_INVOKE_BYTES: 64 * 1024,
  GATEWAY_MAX_JSON_DEPTH: 64,
  GATEWAY_MAX_MANIFEST_BYTES: 1024,
  GATEWAY_MAX_MODULE_BYTES: 256 * 1024,
  GATEWAY_MAX_SBOM_BYTES: 1024,
} as GatewayLimits;

/** What reached the handler: nothing may, for a refused submission. */
const reached: Record<string, string>[] = [];

const sha = (bytes: unknown) =>
  createHash('sha256')
    .update(bytes as Buffer)
    .digest('hex');

@Controller('t')
class ProbeController {
  @Post('submit')
  @HttpCode(200)
  @TakesBody(SUBMISSION_MEDIA_TYPE, SUBMISSION_FORM)
  @UseInterceptors(SubmissionUpload)
  submit(@SubmittedParts() parts: SubmissionParts) {
    const seen = Object.fromEntries(Object.entries(parts).map(([name, b]) => [name, sha(b)]));
    reached.push(seen);
    return seen;
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    SubmissionUpload,
    { provide: GATEWAY_LIMITS, useValue: LIMITS },
    { provide: MAX_CONCURRENT_SUBMISSIONS, useValue: 4 },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
class ProbeModule {}

interface Answer {
  status: number;
  body: {
    error?: { code: string; message: string; details: { code: string; message: string }[] };
  } & Record<string, unknown>;
}

const BOUNDARY = 'b0undary';
const MANIFEST = Buffer.from('{"id":"example.greet"}');
/** Module bytes holding what looks like a delimiter but is not one. */
const MODULE = Buffer.concat([
  Buffer.from([0, 0x61, 0x73, 0x6d]),
  Buffer.from(`\r\n--${BOUNDARY.slice(0, 4)}\r\n--${BOUNDARY}x`.slice(0, 12)),
  Buffer.alloc(70_000, 7),
]);

/** A multipart body of `parts` (each its header lines and bytes) with `boundary`. */
function form(parts: { headers: string[]; body: Buffer }[], boundary = BOUNDARY): Buffer {
  return Buffer.concat([
    ...parts.flatMap((p) => [
      Buffer.from(`--${boundary}\r\n${p.headers.join('\r\n')}\r\n\r\n`),
      p.body,
      Buffer.from('\r\n'),
    ]),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
}

const part = (name: string, body: Buffer, more: string[] = []) => ({
  headers: [`Content-Disposition: form-data; name="${name}"; filename="${name}.bin"`, ...more],
  body,
});
const manifestPart = () => part('manifest', MANIFEST, ['Content-Type: application/json']);
const modulePart = () => part('module', MODULE, ['Content-Type: application/octet-stream']);

describe('submission bodies (SubmissionUpload)', () => {
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

  /** POSTs `body` in chunks of `chunk` bytes, with the Content-Type `type`. */
  function send(
    body: Buffer,
    type = `multipart/form-data; boundary=${BOUNDARY}`,
    chunk = body.length,
  ): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/t/submit',
          method: 'POST',
          headers: { 'content-type': type, 'content-length': String(body.length) },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer['body'] }),
          );
        },
      );
      req.on('error', reject);
      for (let at = 0; at < body.length; at += Math.max(chunk, 1))
        req.write(body.subarray(at, at + chunk));
      req.end();
    });
  }

  it.each([1, 7, 1000, Infinity])(
    'reads every part as the bytes sent, the body in chunks of %s bytes',
    async (chunk) => {
      const sbom = Buffer.from('{"bomFormat":"CycloneDX"}');
      const body = Buffer.concat([
        Buffer.from('a preamble, ignored\r\n'),
        form([manifestPart(), modulePart(), part('sbom', sbom)]),
        Buffer.from('an epilogue, ignored'),
      ]);
      const res = await send(body, undefined, chunk === Infinity ? body.length : chunk);
      expect(res).toEqual({
        status: 200,
        body: { manifest: sha(MANIFEST), module: sha(MODULE), sbom: sha(sbom) },
      });
    },
  );

  it('takes a quoted boundary, an unquoted name and a part without headers but its disposition', async () => {
    const res = await send(
      form(
        [
          { headers: ['Content-Disposition: form-data; name=manifest'], body: MANIFEST },
          modulePart(),
        ],
        'a=b',
      ),
      'multipart/form-data; boundary="a=b"',
    );
    expect(res).toEqual({ status: 200, body: { manifest: sha(MANIFEST), module: sha(MODULE) } });
  });

  it.each([
    ['without a boundary', 'multipart/form-data', 'has no boundary'],
    ['with an empty boundary', 'multipart/form-data; boundary=', 'has no boundary'],
    ['with two boundaries', 'multipart/form-data; boundary=a; boundary=b', 'boundary twice'],
    [
      'with a boundary of 71 characters',
      `multipart/form-data; boundary=${'x'.repeat(71)}`,
      'longer than 70 characters',
    ],
    [
      'with a boundary of 300 characters',
      `multipart/form-data; boundary=${'x'.repeat(300)}`,
      'longer than 70 characters',
    ],
    [
      'with a boundary of characters RFC 2046 does not allow',
      'multipart/form-data; boundary=a{b}',
      'characters',
    ],
  ])('refuses a submission %s with 400 multipart_boundary', async (_what, type, says) => {
    const res = await send(form([manifestPart(), modulePart()]), type);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining(says),
      details: [{ code: 'multipart_boundary', message: expect.stringContaining('RFC 2046') }],
    });
    expect(reached).toEqual([]);
  });

  it.each([
    [
      'without Content-Disposition',
      ['Content-Type: application/json'],
      'has no Content-Disposition',
    ],
    ['with no header at all', [], 'has no Content-Disposition'],
    [
      'with an attachment disposition',
      ['Content-Disposition: attachment; name="manifest"'],
      '"attachment", not form-data',
    ],
    ['with name=" unterminated', ['Content-Disposition: form-data; name="manifest'], 'not closed'],
    ['with name=" alone', ['Content-Disposition: form-data; name="'], 'not closed'],
    ['without a name', ['Content-Disposition: form-data; filename="a"'], 'has no name'],
    ['with an empty name', ['Content-Disposition: form-data; name=""'], 'empty name'],
    [
      'with two names',
      ['Content-Disposition: form-data; name="manifest"; name="sbom"'],
      'name twice',
    ],
    [
      'with an extended name*',
      ["Content-Disposition: form-data; name*=utf-8''manifest"],
      'RFC 7578',
    ],
    [
      'with parameters that do not parse',
      ['Content-Disposition: form-data; name="manifest" filename="a"'],
      'parameters',
    ],
  ])('refuses a part %s with 400 part_disposition', async (_what, headers, says) => {
    const res = await send(form([{ headers, body: MANIFEST }, modulePart()]));
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      code: 'bad_request',
      message: expect.stringContaining('part 1'),
      details: [{ code: 'part_disposition', message: expect.stringContaining(says) }],
    });
    expect(res.body.error?.message).toContain(SUBMISSION_FORM);
    expect(reached).toEqual([]);
  });

  it.each([
    [
      'Content-Disposition twice',
      [
        'Content-Disposition: form-data; name="manifest"',
        'Content-Disposition: form-data; name="module"',
      ],
      'Content-Disposition twice',
    ],
    [
      'a line that is no header',
      ['Content-Disposition: form-data; name="manifest"', 'not a header'],
      'not a header',
    ],
    ['a folded line', ['Content-Disposition: form-data;', ' name="manifest"'], 'folded'],
  ])('refuses a part whose headers hold %s with 400 part_headers', async (_what, headers, says) => {
    const res = await send(form([{ headers, body: MANIFEST }, modulePart()]));
    expect(res.status).toBe(400);
    expect(res.body.error?.details).toEqual([
      { code: 'part_headers', message: expect.stringContaining(says) },
    ]);
    expect(reached).toEqual([]);
  });

  it.each([
    [
      'a body without its closing delimiter',
      Buffer.concat([form([manifestPart()]).subarray(0, -14)]),
      'closing delimiter',
    ],
    [
      'a part whose headers do not end',
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="manifest"\r\n--${BOUNDARY}--\r\n`,
      ),
      'headers do not end',
    ],
    [
      'a delimiter followed by other text',
      Buffer.from(`--${BOUNDARY}x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n`),
      'followed by',
    ],
    ['a body that is not multipart at all', Buffer.from('{"manifest":{}}'), 'closing delimiter'],
  ])('refuses %s with 400 multipart_framing', async (_what, body, says) => {
    const res = await send(body);
    expect(res.status).toBe(400);
    expect(res.body.error?.details).toEqual([
      { code: 'multipart_framing', message: expect.stringContaining(says) },
    ]);
    expect(reached).toEqual([]);
  });

  it('still refuses an unknown or repeated part, a part over its limit and a Content-Transfer-Encoding', async () => {
    const unknown = await send(form([manifestPart(), part('comment', MANIFEST)]));
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.message).toMatch(
      /the multipart part "comment" is unknown or repeated/,
    );
    const repeated = await send(form([manifestPart(), manifestPart()]));
    expect(repeated.body.error?.message).toMatch(/"manifest" is unknown or repeated/);
    const large = await send(form([part('manifest', Buffer.alloc(1025, 0x20))]));
    expect(large.status).toBe(413);
    expect(large.body.error?.details).toEqual([
      expect.objectContaining({ code: 'manifest_too_large' }),
    ]);
    const encoded = await send(
      form([part('manifest', MANIFEST, ['Content-Transfer-Encoding: base64'])]),
    );
    expect(encoded.status).toBe(415);
    expect(encoded.body.error?.details).toEqual([
      expect.objectContaining({ code: 'content_transfer_encoding' }),
    ]);
    expect(reached).toEqual([]);
  });
});

import { jest } from '@jest/globals';
import { Controller, HttpCode, Module, Post, type INestApplication } from '@nestjs/common';
import { ServiceLogger } from '@convergio/observability';
import { exchange, lastBody, ProbeModule, start } from './probe-service.spec-helper.js';

/** What reached the handler: nothing may, for a refused request. */
let reached = 0;

@Controller()
class CountController {
  @Post('count')
  @HttpCode(200)
  count() {
    return { count: ++reached };
  }
}

@Module({ imports: [ProbeModule], controllers: [CountController] })
class CountModule {}

const POST = (headers: string) =>
  `POST /count HTTP/1.1\r\n${headers}Content-Length: 0\r\nConnection: close\r\n\r\n`;

describe('request headers (requestHeadersHook, through bootstrapService)', () => {
  let app: INestApplication;
  const access = jest.spyOn(ServiceLogger.prototype, 'access');
  beforeAll(async () => (app = await start(undefined, CountModule)));
  beforeEach(() => {
    access.mockClear();
    reached = 0;
  });
  afterAll(async () => {
    access.mockRestore();
    await app.close();
  });

  const linesOf = () => access.mock.calls.map(([record]) => record);

  /** The refusal of `raw`: status, the error body, the connection closed after it. */
  async function refusal(raw: string, status = 400) {
    const response = await exchange(app, raw);
    expect(response).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expect(response).toMatch(/\r\nconnection: close\r\n/i);
    const body = lastBody(response);
    expect(body.endsWith('}\n')).toBe(true);
    return JSON.parse(body) as { error: { code: string; message: string; details: unknown[] } };
  }

  it('refuses an HTTP/1.1 request without Host with 400 missing_host and an access line', async () => {
    const { error } = await refusal('POST /count HTTP/1.1\r\nContent-Length: 0\r\n\r\n');
    expect(error).toEqual({
      code: 'bad_request',
      message: expect.stringContaining('Host'),
      details: [{ code: 'missing_host', message: expect.any(String) }],
    });
    expect(reached).toBe(0);
    expect(linesOf()).toMatchObject([{ method: 'POST', route: '/count', status: 400 }]);
  });

  it.each([
    ['Authorization', 'Authorization: Bearer a\r\nauthorization: Bearer b\r\nHost: x\r\n'],
    ['Content-Type', 'Host: x\r\nContent-Type: application/json\r\nContent-Type: text/plain\r\n'],
    ['Host', 'Host: x\r\nHost: y\r\n'],
  ])(
    'refuses %s sent twice with 400 duplicate_header naming it, reaching nothing',
    async (name, headers) => {
      const { error } = await refusal(POST(headers));
      expect(error).toEqual({
        code: 'bad_request',
        message: expect.stringContaining(name),
        details: [{ code: 'duplicate_header', message: expect.stringContaining(name) }],
      });
      expect(reached).toBe(0);
      expect(linesOf()).toMatchObject([{ method: 'POST', route: '/count', status: 400 }]);
    },
  );

  // Node's parser reads an HTTP/2.0 request line as if it were HTTP/1.1.
  it('refuses a request line of HTTP/2.0 with 505 http_version_not_supported, reaching nothing', async () => {
    const { error } = await refusal(
      'POST /count HTTP/2.0\r\nHost: x\r\nContent-Length: 0\r\n\r\n',
      505,
    );
    expect(error.details).toEqual([
      { code: 'http_version_not_supported', message: expect.stringContaining('HTTP/2.0') },
    ]);
    expect(reached).toBe(0);
    expect(linesOf()).toMatchObject([{ method: 'POST', route: '/count', status: 505 }]);
  });

  it('serves a request with list headers repeated, and HTTP/1.0 without Host', async () => {
    const repeated = await exchange(
      app,
      POST(
        'Host: x\r\nAccept: text/plain\r\nAccept: application/json\r\nAuthorization: Bearer a\r\n',
      ),
    );
    expect(repeated).toMatch(/^HTTP\/1\.1 200 /);
    expect(JSON.parse(lastBody(repeated))).toEqual({ count: 1 });
    const old = await exchange(app, 'GET /healthz HTTP/1.0\r\n\r\n');
    expect(old).toMatch(/^HTTP\/1\.1 200 /);
  });
});

import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { ServiceLogger } from '@convergio/observability';
import { call, start } from './probe-service.spec-helper.js';

describe('query strings that are not percent-encoded UTF-8 (queryEncodingHook, through bootstrapService)', () => {
  let app: INestApplication;
  const access = jest.spyOn(ServiceLogger.prototype, 'access');
  beforeAll(async () => (app = await start()));
  beforeEach(() => access.mockClear());
  afterAll(async () => {
    access.mockRestore();
    await app.close();
  });

  it.each([
    ['a byte that is not UTF-8', '/healthz?actor=%ff'],
    ['a cut-off sequence', '/healthz?actor=%e2%82'],
    ['an encoded surrogate', '/healthz?actor=%ED%A0%80'],
    ['a % without two hexadecimal digits', '/healthz?actor=%zz'],
    ['a lone %', '/healthz?actor=50%'],
    ['a bad name', '/healthz?%ff=1'],
    ['an unknown path', '/nope?actor=%ff'],
  ])('answers %s with 400 bad_url as for a path, with an access line', async (_what, path) => {
    const res = await call(app, 'GET', path);
    expect(res.status).toBe(400);
    expect(res.text.endsWith('}\n')).toBe(true);
    expect(JSON.parse(res.text)).toEqual({
      error: {
        code: 'bad_request',
        message: expect.stringContaining('query string'),
        details: [{ code: 'bad_url', message: expect.stringContaining('query string') }],
      },
    });
    expect(access.mock.calls.map(([record]) => record)).toMatchObject([
      { method: 'GET', status: 400 },
    ]);
  });

  it.each(['/healthz?actor=%F0%9F%98%80', '/healthz?actor=a+b&x=%25', '/healthz?'])(
    'serves %s',
    async (path) => {
      expect(await call(app, 'GET', path)).toMatchObject({ status: 200 });
    },
  );
});

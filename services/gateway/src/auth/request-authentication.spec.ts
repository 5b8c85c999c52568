import type { AddressInfo } from 'node:net';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DomainError } from '@convergio/contracts';
import { expectEventually, startRequest } from '@convergio/testing';
import { GATEWAY_LIMITS } from '../config/gateway.config.js';
import { JsonBody } from '../http/body-type.js';
import { HttpErrorFilter } from '../http/http-error.filter.js';
import { UNREAD_BODY_LINGER_MS } from '../http/unread-body.js';
import { PROBE_LIMITS, startProbeApp, type ProbeApp } from '../http/probe-app.spec-helper.js';
import { prepareGatewayHttp } from '../openapi.js';
import { ApiKeyService } from './api-key.service.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { AuthGuard } from './auth.guard.js';
import { RequestAuthentication } from './request-authentication.js';
import { Roles, type Principal } from './roles.js';

const BURST = 4;
/** Keys looked up, as the real service would ask the database. */
const lookups: string[] = [];
/** What reached a handler. */
const reached: unknown[] = [];

const principal = (roles: Principal['roles']): Principal => ({
  keyId: `k-${roles.join('-')}`,
  name: 'probe',
  roles,
  publisher: null,
  issuedBy: null,
  secretValidUntil: null,
});
const KEYS: Record<string, Principal> = {
  cvg_invoker: principal(['invoker']),
  cvg_auditor: principal(['auditor']),
};

@Controller('t')
class ProbeController {
  @Post('invoke')
  @HttpCode(200)
  @Roles('invoker')
  invoke(@JsonBody() body: unknown) {
    reached.push(body);
    return { body };
  }
}

@Module({
  controllers: [ProbeController],
  providers: [
    RequestAuthentication,
    {
      provide: ApiKeyService,
      useValue: {
        authenticate: (key: string) => {
          lookups.push(key);
          return KEYS[key]
            ? Promise.resolve(KEYS[key])
            : Promise.reject(new DomainError('unauthorized', 'the API key is unknown or revoked'));
        },
      },
    },
    {
      provide: AuthFailureLimiter,
      useValue: new AuthFailureLimiter({
        burst: BURST,
        perMinute: 1,
        maxAddresses: 100,
        trustedProxies: null,
      }),
    },
    { provide: GATEWAY_LIMITS, useValue: PROBE_LIMITS },
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_FILTER, useClass: HttpErrorFilter },
  ],
})
class ProbeModule {}

// Before: Fastify read and parsed a JSON body before the guard looked at the key, so anyone
// could make the gateway take in GATEWAY_MAX_INVOKE_BYTES per request only to answer 401.
describe('a request with a body is authenticated before its body is read (authenticateBeforeBody)', () => {
  let app: NestFastifyApplication;
  let port: number;
  let send: ProbeApp['send'];

  beforeAll(async () => {
    ({ app, send } = await startProbeApp(ProbeModule, prepareGatewayHttp));
    ({ port } = app.getHttpServer().address() as AddressInfo);
  });
  afterAll(() => app.close());
  beforeEach(() => {
    lookups.splice(0);
    reached.splice(0);
  });

  /**
   * Sends, from the loopback address `from`, the headers of a POST /t/invoke whose JSON body
   * (`[1]`, padded) is `length` bytes long, and only its first byte: `rest()` sends the others.
   */
  async function bodyStillComing(
    headers: Record<string, string>,
    { length = 60_000, from = '127.0.0.1' } = {},
  ) {
    const lines = Object.entries(headers).map(([name, value]) => `\r\n${name}: ${value}`);
    const request = await startRequest(
      { port, from },
      `POST /t/invoke HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${length}${lines.join('')}`,
      '[',
    );
    return { ...request, rest: () => request.send(`${' '.repeat(length - 3)}1]`) };
  }

  it.each([
    ['no key', {}],
    ['a malformed header', { Authorization: 'Basic cvg_invoker' }],
    ['an unknown key', { Authorization: 'Bearer cvg_unknown' }],
  ])(
    'answers a body with %s 401 before reading it, and closes the connection unless the body ends',
    async (_, headers) => {
      const upload = await bodyStillComing(headers);
      await expectEventually(() => expect(upload.answer()).toMatch(/^HTTP\/1\.1 401 /));
      expect(upload.answer()).toContain('"code":"unauthorized"');
      // Not drained for as long as the client cares to send: closed after UNREAD_BODY_LINGER_MS.
      await expectEventually(() => expect(upload.ended()).toBe(true));
      expect(reached).toEqual([]);
    },
  );

  it('keeps the connection of a refused client that ends its body after the answer', async () => {
    const refused = await bodyStillComing({}, { length: 8, from: '127.0.0.4' });
    await expectEventually(() => expect(refused.answer()).toMatch(/^HTTP\/1\.1 401 /));
    refused.rest();
    refused.send(
      'POST /t/invoke HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cvg_invoker\r\n' +
        'Content-Type: application/json\r\nContent-Length: 3\r\n\r\n[2]',
    );
    await expectEventually(() => expect(refused.answer()).toContain('HTTP/1.1 200 '));
    expect(reached).toEqual([[2]]);
    await new Promise((resolve) => setTimeout(resolve, UNREAD_BODY_LINGER_MS + 500));
    expect(refused.ended()).toBe(false);
    refused.socket.destroy();
  });

  it('reads the body of a valid key, looking the key up once, and serves it', async () => {
    const upload = await bodyStillComing({ Authorization: 'Bearer cvg_invoker' }, { length: 8 });
    await expectEventually(() => expect(lookups).toEqual(['cvg_invoker']));
    expect(upload.answer()).toBe('');
    upload.rest();
    await expectEventually(() => expect(upload.answer()).toMatch(/^HTTP\/1\.1 200 /));
    expect(reached).toEqual([[1]]);
    expect(lookups).toEqual(['cvg_invoker']);
    upload.socket.destroy();
  });

  it('asks a client that expects 100-continue for its body only once its key passed', async () => {
    const refused = await bodyStillComing(
      { Authorization: 'Bearer cvg_unknown', Expect: '100-continue' },
      { from: '127.0.0.3' },
    );
    await expectEventually(() => expect(refused.answer()).toMatch(/^HTTP\/1\.1 401 /));
    refused.socket.destroy();
    const asked = await bodyStillComing(
      { Authorization: 'Bearer cvg_invoker', Expect: '100-Continue' },
      { length: 8, from: '127.0.0.3' },
    );
    await expectEventually(() => expect(asked.answer()).toBe('HTTP/1.1 100 Continue\r\n\r\n'));
    asked.rest();
    await expectEventually(() => expect(asked.answer()).toContain('HTTP/1.1 200 '));
    expect(reached).toEqual([[1]]);
    asked.socket.destroy();
  });

  it('still refuses a valid key without the role 403, once the body is read', async () => {
    const res = await send(
      'POST',
      '/t/invoke',
      { 'content-type': 'application/json', authorization: 'Bearer cvg_auditor' },
      '{"a":1}',
    );
    expect(res.status).toBe(403);
    expect(reached).toEqual([]);
    expect(lookups).toEqual(['cvg_auditor']);
  });

  it('spends a failure for each body refused 401: past the burst, 429 before the key is looked up; a valid key from another address is served', async () => {
    // The cases above spent three of this address's BURST failures; the fourth goes here.
    const last = await bodyStillComing({ Authorization: 'Bearer cvg_unknown' });
    await expectEventually(() => expect(last.answer()).toMatch(/^HTTP\/1\.1 401 /));
    last.socket.destroy();
    lookups.splice(0);
    const limited = await bodyStillComing({ Authorization: 'Bearer cvg_invoker' });
    await expectEventually(() => expect(limited.answer()).toMatch(/^HTTP\/1\.1 429 /));
    expect(limited.answer()).toContain('"code":"rate_limited"');
    limited.socket.destroy();
    expect(lookups).toEqual([]);
    const bystander = await bodyStillComing(
      { Authorization: 'Bearer cvg_invoker' },
      { length: 8, from: '127.0.0.2' },
    );
    bystander.rest();
    await expectEventually(() => expect(bystander.answer()).toMatch(/^HTTP\/1\.1 200 /));
    bystander.socket.destroy();
  });
});

import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError } from '@convergio/contracts';
import { Public } from '@convergio/runtime';
import type { ApiKeyService } from './api-key.service.js';
import { AuthFailureLimiter } from './auth-failure-limiter.js';
import { AuthGuard } from './auth.guard.js';
import { RequestAuthentication, type AuthedRequest } from './request-authentication.js';
import { ChecksRotatedOutSecret, PublisherOnly, Roles, type Principal } from './roles.js';

class PluginsController {
  @PublisherOnly()
  submit() {}

  @Roles('invoker')
  invoke() {}

  list() {}

  @Public()
  health() {}
}

@Roles('auditor')
class AuditController {
  query() {}
}

@Roles('admin')
class KeysController {
  create() {}

  @ChecksRotatedOutSecret()
  revoke() {}
}

const principals: Record<string, Principal> = {
  cvg_admin: {
    keyId: 'k-admin',
    name: 'ops',
    roles: ['admin'],
    publisher: null,
    issuedBy: null,
    secretValidUntil: null,
  },
  cvg_publisher: {
    keyId: 'k-pub',
    name: 'ci',
    roles: ['publisher'],
    publisher: 'acme',
    issuedBy: 'k-admin',
    secretValidUntil: null,
  },
  cvg_old_publisher: {
    keyId: 'k-old',
    name: 'from before owners',
    roles: ['publisher'],
    publisher: null,
    issuedBy: null,
    secretValidUntil: null,
  },
  cvg_admin_old: {
    keyId: 'k-admin',
    name: 'ops',
    roles: ['admin'],
    publisher: null,
    issuedBy: null,
    secretValidUntil: new Date('2026-12-02T08:00:00Z'),
  },
  cvg_invoker_old: {
    keyId: 'k-inv',
    name: 'core',
    roles: ['invoker'],
    publisher: null,
    issuedBy: null,
    secretValidUntil: new Date('2026-12-02T08:00:00Z'),
  },
  cvg_invoker: {
    keyId: 'k-inv',
    name: 'core',
    roles: ['invoker'],
    publisher: null,
    issuedBy: null,
    secretValidUntil: null,
  },
};

/** Keys looked up, as the real service would ask the database. */
let lookups = 0;

/** Knows three keys; any other key is unknown, as the real service says. */
const keys = {
  authenticate: (key: string) => {
    lookups++;
    const principal = principals[key];
    return principal
      ? Promise.resolve(principal)
      : Promise.reject(new DomainError('unauthorized', 'the API key is unknown or revoked'));
  },
} as unknown as ApiKeyService;

/** Two failures per address at once, one more a minute. */
const newLimiter = () =>
  new AuthFailureLimiter({ burst: 2, perMinute: 1, maxAddresses: 100, trustedProxies: null });
let failures = newLimiter();
beforeEach(() => {
  lookups = 0;
  failures = newLimiter();
});

function call(
  controller: object,
  handler: string,
  authorization?: string,
  from = '192.0.2.1',
  method = 'POST',
) {
  const request = {
    method,
    headers: authorization === undefined ? {} : { authorization },
    raw: { socket: { remoteAddress: from } },
  } as unknown as AuthedRequest;
  const context = {
    getHandler: () => (controller as Record<string, unknown>)[handler],
    getClass: () => controller.constructor,
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
  const guard = new AuthGuard(new RequestAuthentication(keys, failures), new Reflector());
  return { request, result: guard.canActivate(context) };
}

const plugins = new PluginsController();
const audit = new AuditController();

describe('AuthGuard', () => {
  it('refuses a request without an Authorization header as unauthorized', async () => {
    await expect(call(plugins, 'list').result).rejects.toMatchObject({ code: 'unauthorized' });
  });

  it.each(['cvg_admin', 'Basic cvg_admin', 'Bearer', 'Bearer ', 'Bearer a b', 'Bearercvg_admin'])(
    'refuses the malformed header "%s" as unauthorized',
    async (header) => {
      await expect(call(plugins, 'list', header).result).rejects.toMatchObject({
        code: 'unauthorized',
      });
    },
  );

  it.each(['bearer cvg_invoker', 'BEARER cvg_invoker', 'Bearer  cvg_invoker'])(
    'takes "%s": the scheme is case-insensitive (RFC 9110 §11.1)',
    async (header) => {
      const { request, result } = call(plugins, 'invoke', header);
      await expect(result).resolves.toBe(true);
      expect(request.principal.keyId).toBe('k-inv');
    },
  );

  it('refuses an unknown key as unauthorized', async () => {
    await expect(call(plugins, 'list', 'Bearer cvg_stolen').result).rejects.toMatchObject({
      code: 'unauthorized',
    });
  });

  it('refuses a valid key without the route role as forbidden, naming the roles', async () => {
    await expect(call(plugins, 'invoke', 'Bearer cvg_publisher').result).rejects.toMatchObject({
      code: 'forbidden',
      message:
        'this route needs a key with one of the roles invoker, admin; this key has publisher',
    });
  });

  it.each([
    ['an invoker key', 'cvg_invoker', 'this key has invoker'],
    ['an admin key', 'cvg_admin', 'this key has admin'],
    [
      'a publisher key that names no publisher',
      'cvg_old_publisher',
      'key k-old has the role publisher but belongs to no publisher',
    ],
  ])(
    'refuses %s on a publisher-only route, naming the one role that passes and how to get it',
    async (_what, key, why) => {
      const refused = call(plugins, 'submit', `Bearer ${key}`).result;
      await expect(refused).rejects.toMatchObject({ code: 'forbidden' });
      const { message } = (await refused.catch((e: unknown) => e)) as DomainError;
      expect(message).toContain(
        'this route needs a key with the role publisher that names its publisher (admin keys do not pass',
      );
      expect(message).not.toMatch(/roles [a-z]+, admin/);
      expect(message).toContain(why);
      expect(message).toContain('POST /v1/api-keys {"name": "ci", "roles": ["publisher"]');
    },
  );

  it('applies a role set on the controller class to its routes', async () => {
    await expect(call(audit, 'query', 'Bearer cvg_publisher').result).rejects.toMatchObject({
      code: 'forbidden',
    });
  });

  it('names every role that would pass, admin included, and the roles the key has', async () => {
    await expect(call(audit, 'query', 'Bearer cvg_publisher').result).rejects.toMatchObject({
      message:
        'this route needs a key with one of the roles auditor, admin; this key has publisher',
    });
  });

  it('lets a key with the route role through and attaches its principal', async () => {
    const { request, result } = call(plugins, 'submit', 'Bearer cvg_publisher');
    await expect(result).resolves.toBe(true);
    expect(request.principal).toEqual(principals['cvg_publisher']);
  });

  it.each([
    [plugins, 'invoke'],
    [audit, 'query'],
  ])('lets admin call any @Roles route', async (controller, handler) => {
    const { request, result } = call(controller, handler, 'Bearer cvg_admin');
    await expect(result).resolves.toBe(true);
    expect(request.principal.keyId).toBe('k-admin');
  });

  it('lets any valid key call a route without @Roles', async () => {
    await expect(call(plugins, 'list', 'Bearer cvg_invoker').result).resolves.toBe(true);
  });

  it('attaches the principal of a key refused for its role, so the 403 is logged with its key id', async () => {
    const { request, result } = call(plugins, 'invoke', 'Bearer cvg_publisher');
    await expect(result).rejects.toMatchObject({ code: 'forbidden' });
    expect(request.principal.keyId).toBe('k-pub');
  });

  it('refuses an address that spent its failures 429 rate_limited with Retry-After, before looking the key up', async () => {
    await expect(call(plugins, 'list').result).rejects.toMatchObject({ code: 'unauthorized' });
    await expect(call(plugins, 'list', 'Bearer cvg_stolen').result).rejects.toMatchObject({
      code: 'unauthorized',
    });
    expect(lookups).toBe(1);
    for (const key of ['cvg_stolen', 'cvg_invoker'])
      await expect(call(plugins, 'list', `Bearer ${key}`).result).rejects.toMatchObject({
        code: 'rate_limited',
        retryAfterSeconds: 60,
      });
    expect(lookups).toBe(1);
    // Another address, its valid key and a public route are not concerned.
    await expect(call(plugins, 'list', 'Bearer cvg_invoker', '192.0.2.2').result).resolves.toBe(
      true,
    );
    await expect(call(plugins, 'health').result).resolves.toBe(true);
  });

  it('counts only failures: valid keys and forbidden ones spend nothing', async () => {
    for (let i = 0; i < 5; i++) {
      await expect(call(plugins, 'list', 'Bearer cvg_invoker').result).resolves.toBe(true);
      await expect(call(plugins, 'invoke', 'Bearer cvg_publisher').result).rejects.toMatchObject({
        code: 'forbidden',
      });
    }
    expect(failures.size).toBe(0);
  });

  it('lets anyone call a @Public route without a key', async () => {
    const { request, result } = call(plugins, 'health');
    await expect(result).resolves.toBe(true);
    expect(request.principal).toBeUndefined();
  });

  it('refuses a rotated-out secret any admin change (403 secret_rotated_out) but a read, a call, or a route that decides itself', async () => {
    await expect(
      call(new KeysController(), 'create', 'Bearer cvg_admin_old').result,
    ).rejects.toMatchObject({
      code: 'forbidden',
      details: [{ code: 'secret_rotated_out' }],
    });
    for (const [controller, handler, key, method] of [
      [new KeysController(), 'create', 'cvg_admin_old', 'GET'],
      [new KeysController(), 'create', 'cvg_admin', 'POST'],
      [new KeysController(), 'revoke', 'cvg_admin_old', 'DELETE'],
      [plugins, 'invoke', 'cvg_invoker_old', 'POST'],
    ] as const)
      await expect(
        call(controller, handler, `Bearer ${key}`, '192.0.2.1', method).result,
      ).resolves.toBe(true);
  });
});
